package outputs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/store/filestore"
)

// SecretFile is where an embedded gateway keeps its output-signing secret.
const SecretFile = "outputs-secret"

// SecretsKey is the Redis hash (after the prefix) of the shared secrets:
// secret id -> JSON {"secret", "created"}.
const SecretsKey = "outputs:secrets"

// LegacySecretKey is the string key (after the prefix) in which earlier
// versions kept their one secret. It is read at start only, so that an
// instance joining older ones during an upgrade signs as they do.
const LegacySecretKey = "outputs:secret"

// Defaults of SecretsConfig fields.
const (
	// DefaultSecretsRefresh is how often secrets are re-published to Redis
	// and merged from it.
	DefaultSecretsRefresh = 5 * time.Second
	// DefaultSecretsMissInterval is the least time between two refreshes
	// asked for by URLs whose signature no known secret matches, so that
	// bad signatures cannot hammer Redis.
	DefaultSecretsMissInterval = time.Second
	// SecretsGrace is added to the output TTL to tell how long a replaced
	// secret keeps verifying: clocks and refreshes are not instant.
	SecretsGrace = time.Hour
	// MaxSecrets bounds the secrets that verify.
	MaxSecrets = 16
	// MinSecretLen is the shortest secret accepted.
	MinSecretLen = 16
)

// SecretsConfig configures OpenSecrets.
type SecretsConfig struct {
	// Configured is the operator's secret; when set it signs, Previous
	// verify too, and nothing is stored anywhere.
	Configured string
	Previous   []string
	// Redis, when set, shares generated secrets between instances under
	// Prefix; else one generated secret is kept in DataDir.
	Redis   redis.UniversalClient
	Prefix  string
	DataDir string
	// TTL is the lifetime of output URLs: a secret replaced by a newer one
	// keeps verifying for TTL plus SecretsGrace.
	TTL time.Duration
	// Refresh and MissInterval default to DefaultSecretsRefresh and
	// DefaultSecretsMissInterval; a negative Refresh starts no background
	// refresh (tests call Refresh).
	Refresh      time.Duration
	MissInterval time.Duration
	Now          func() time.Time
	Log          *slog.Logger
}

// Secrets is the keyring of output-signing secrets: the current one signs,
// it and a bounded set of earlier ones verify. It is safe for concurrent
// use.
//
// With Redis, every instance keeps every secret it knows in the hash
// SecretsKey: a background refresh re-publishes them (HSETNX, so a Redis
// that lost its data gets them back) and merges what other instances
// published. All instances sign with the newest secret they know, so after
// a Redis loss they converge on one again; a signature that matches no
// known secret asks for a refresh at once (at most one per MissInterval)
// before it is refused. A secret is dropped once a newer one has been
// signing for longer than any URL lives.
type Secrets struct {
	mu   sync.RWMutex
	keys []secretRecord // newest first; keys[0] signs

	rdb          redis.UniversalClient
	key          string
	maxAge       time.Duration
	missInterval time.Duration
	now          func() time.Time
	log          *slog.Logger

	// refreshing holds a token while a refresh runs: one at a time, and a
	// caller can stop waiting for its turn. down and badIDs belong to the
	// holder.
	refreshing chan struct{}
	down       bool // the last refresh failed
	badIDs     map[string]bool

	missMu      sync.Mutex
	lastMiss    time.Time     // start of the last refresh a miss asked for
	missRunning chan struct{} // closed when that refresh ends; nil if none runs

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// secretRecord is a secret as kept in Redis.
type secretRecord struct {
	ID      string    `json:"-"`
	Secret  string    `json:"secret"`
	Created time.Time `json:"created"`
}

// secretID names a secret without revealing it.
func secretID(secret string) string {
	h := sha256.Sum256([]byte("gateway-output-secret-id\x00" + secret))
	return hex.EncodeToString(h[:8])
}

func newRecord(secret string, created time.Time) secretRecord {
	return secretRecord{ID: secretID(secret), Secret: secret, Created: created.UTC()}
}

// FixedSecrets is a keyring that never changes: current signs, current and
// previous verify.
func FixedSecrets(current []byte, previous ...[]byte) (*Secrets, error) {
	if len(current) < MinSecretLen {
		return nil, fmt.Errorf("outputs: the signing secret must be at least %d bytes", MinSecretLen)
	}
	if len(previous)+1 > MaxSecrets {
		return nil, fmt.Errorf("outputs: at most %d previous secrets", MaxSecrets-1)
	}
	s := &Secrets{keys: []secretRecord{newRecord(string(current), time.Time{})}}
	for _, p := range previous {
		if len(p) < MinSecretLen {
			return nil, fmt.Errorf("outputs: a previous secret must be at least %d bytes", MinSecretLen)
		}
		s.keys = append(s.keys, newRecord(string(p), time.Time{}))
	}
	return s, nil
}

// OpenSecrets returns the keyring every instance shares: the configured
// secrets when set; else with Redis the ones stored there (one is created
// if there are none) kept in step by a background refresh until Close;
// else the one kept in DataDir, created on first start.
func OpenSecrets(ctx context.Context, cfg SecretsConfig) (*Secrets, error) {
	if cfg.Configured != "" {
		prev := make([][]byte, len(cfg.Previous))
		for i, p := range cfg.Previous {
			prev[i] = []byte(p)
		}
		return FixedSecrets([]byte(cfg.Configured), prev...)
	}
	if cfg.Redis == nil {
		secret, err := fileSecret(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		return FixedSecrets(secret)
	}
	s := &Secrets{
		rdb:          cfg.Redis,
		key:          cfg.Prefix + SecretsKey,
		maxAge:       cfg.TTL + SecretsGrace,
		missInterval: cfg.MissInterval,
		now:          cfg.Now,
		log:          cfg.Log,
		refreshing:   make(chan struct{}, 1),
		badIDs:       map[string]bool{},
		stop:         make(chan struct{}),
	}
	if s.missInterval <= 0 {
		s.missInterval = DefaultSecretsMissInterval
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.adopt(ctx, cfg.Prefix+LegacySecretKey); err != nil {
		return nil, err
	}
	refresh := cfg.Refresh
	if refresh == 0 {
		refresh = DefaultSecretsRefresh
	}
	if refresh > 0 {
		s.wg.Add(1)
		go s.refreshLoop(refresh)
	}
	return s, nil
}

// adoptScript stores the candidate secret only if the hash is empty, and
// returns the hash: two instances starting on an empty Redis agree.
var adoptScript = redis.NewScript(`
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return redis.call('HGETALL', KEYS[1])`)

// adopt takes what Redis has, or stores a secret: the one older versions
// kept under legacyKey if there is one, else a new one.
func (s *Secrets) adopt(ctx context.Context, legacyKey string) error {
	candidate, err := s.rdb.Get(ctx, legacyKey).Result()
	if errors.Is(err, redis.Nil) || err == nil && len(candidate) < MinSecretLen {
		candidate, err = randomSecret()
	}
	if err != nil {
		return fmt.Errorf("read output secret from redis: %w", err)
	}
	rec := newRecord(candidate, s.now())
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	all, err := adoptScript.Run(ctx, s.rdb, []string{s.key}, rec.ID, data).StringSlice()
	if err != nil {
		return fmt.Errorf("store output secret in redis: %w", err)
	}
	stored := make(map[string]string, len(all)/2)
	for i := 0; i+1 < len(all); i += 2 {
		stored[all[i]] = all[i+1]
	}
	s.refreshing <- struct{}{}
	defer func() { <-s.refreshing }()
	s.merge(stored)
	if s.Current() == nil {
		return errors.New("redis holds no valid output secret")
	}
	return nil
}

// Current is the secret that signs.
func (s *Secrets) Current() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.keys) == 0 {
		return nil
	}
	return []byte(s.keys[0].Secret)
}

// Verifying returns every secret that verifies, the signing one first.
func (s *Secrets) Verifying() [][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([][]byte, len(s.keys))
	for i, k := range s.keys {
		out[i] = []byte(k.Secret)
	}
	return out
}

// Close stops the background refresh.
func (s *Secrets) Close() error {
	if s.stop != nil {
		s.once.Do(func() { close(s.stop) })
		s.wg.Wait()
	}
	return nil
}

func (s *Secrets) refreshLoop(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			s.Refresh(ctx)
			cancel()
		}
	}
}

// Refresh re-publishes every known secret to Redis and merges every secret
// Redis has. Without Redis it does nothing. A failure is logged once per
// outage; the secrets in memory keep working meanwhile.
func (s *Secrets) Refresh(ctx context.Context) error {
	if s.rdb == nil {
		return nil
	}
	select {
	case s.refreshing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.refreshing }()
	err := s.refresh(ctx)
	switch {
	case err != nil && !s.down:
		s.down = true
		s.log.Warn("output secrets: redis refresh failed; verifying with the secrets in memory until it answers", "err", err)
	case err == nil && s.down:
		s.down = false
		s.log.Info("output secrets: redis answers again; secrets re-published")
	}
	return err
}

func (s *Secrets) refresh(ctx context.Context) error {
	s.mu.RLock()
	known := slices.Clone(s.keys)
	s.mu.RUnlock()
	var all *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range known {
			data, err := json.Marshal(k)
			if err != nil {
				return err
			}
			p.HSetNX(ctx, s.key, k.ID, data)
		}
		all = p.HGetAll(ctx, s.key)
		return nil
	})
	if err != nil {
		return err
	}
	dropped := s.merge(all.Val())
	if len(dropped) > 0 {
		// Every instance drops the same ones, by the same rule on the same
		// records; removing them keeps the hash bounded.
		if err := s.rdb.HDel(ctx, s.key, dropped...).Err(); err != nil {
			return err
		}
	}
	return nil
}

// merge adds the valid records of stored (id -> JSON) to the keyring, makes
// the newest the signing secret, and drops what is too old or too many. It
// returns the ids of stored records that were dropped. The caller holds
// the refreshing token.
func (s *Secrets) merge(stored map[string]string) (dropped []string) {
	s.mu.RLock()
	keys := slices.Clone(s.keys)
	s.mu.RUnlock()
	have := make(map[string]bool, len(keys))
	for _, k := range keys {
		have[k.ID] = true
	}
	for id, data := range stored {
		if have[id] {
			continue
		}
		var rec secretRecord
		if err := json.Unmarshal([]byte(data), &rec); err != nil || len(rec.Secret) < MinSecretLen || secretID(rec.Secret) != id {
			if !s.badIDs[id] {
				s.badIDs[id] = true
				s.log.Warn("output secrets: ignoring an invalid record in redis", "key", s.key, "id", id)
			}
			continue
		}
		rec.ID = id
		keys = append(keys, rec)
		have[id] = true
	}
	slices.SortFunc(keys, func(a, b secretRecord) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	// A secret stopped signing when the next newer one appeared; URLs it
	// signed are dead maxAge later.
	keep := len(keys)
	now := s.now()
	for i := 1; i < len(keys); i++ {
		if i >= MaxSecrets || now.Sub(keys[i-1].Created) > s.maxAge {
			keep = i
			break
		}
	}
	for _, k := range keys[keep:] {
		if _, ok := stored[k.ID]; ok {
			dropped = append(dropped, k.ID)
		}
	}
	keys = keys[:keep]
	s.mu.Lock()
	if len(s.keys) > 0 && keys[0].ID != s.keys[0].ID {
		s.log.Info("output secrets: signing with a newer shared secret", "id", keys[0].ID)
	}
	s.keys = keys
	s.mu.Unlock()
	return dropped
}

// refreshOnMiss refreshes after a signature matched no known secret, unless
// one such refresh started less than missInterval ago; a miss while one runs
// waits for it. It reports whether the keyring may have changed.
func (s *Secrets) refreshOnMiss(ctx context.Context) bool {
	if s.rdb == nil {
		return false
	}
	s.missMu.Lock()
	if ch := s.missRunning; ch != nil {
		s.missMu.Unlock()
		select {
		case <-ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	now := s.now()
	if !s.lastMiss.IsZero() && now.Sub(s.lastMiss) < s.missInterval {
		s.missMu.Unlock()
		return false
	}
	s.lastMiss = now
	done := make(chan struct{})
	s.missRunning = done
	s.missMu.Unlock()

	// Not cut short by the request that happened to ask first: others wait
	// for this refresh too.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	err := s.Refresh(rctx)
	cancel()

	s.missMu.Lock()
	s.missRunning = nil
	close(done)
	s.missMu.Unlock()
	return err == nil
}

// fileSecret reads the secret kept in dataDir, creating it on first start.
func fileSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, SecretFile)
	data, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(data))
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("output secret in %s is shorter than %d characters", path, MinSecretLen)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read output secret: %w", err)
	}
	fresh, err := randomSecret()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := filestore.WriteFileAtomic(path, []byte(fresh+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("store output secret: %w", err)
	}
	return []byte(fresh), nil
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
