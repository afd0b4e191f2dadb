package outputs

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Defaults for zero Config fields.
const (
	DefaultTTL             = 24 * time.Hour
	DefaultJanitorInterval = 10 * time.Minute
)

// Config configures a Store.
type Config struct {
	// Backend keeps the bytes; usually Dir{Root: <data dir>/outputs}.
	Backend Backend
	// PublicURL is the gateway's external base URL, without a trailing slash.
	PublicURL string
	// Secrets sign and verify output URLs; every instance serving them
	// shares them (OpenSecrets). The Store does not close them.
	Secrets *Secrets
	// Secret, when Secrets is nil, is the one secret that signs and
	// verifies.
	Secret []byte
	// TTL is how long an output and its URL live.
	TTL time.Duration
	// JanitorInterval is how often expired outputs are removed; negative
	// disables the janitor goroutine (Sweep can still be called).
	JanitorInterval time.Duration
	Now             func() time.Time
	Log             *slog.Logger
	// OnSweep, if set, is called after each janitor sweep (tests await it).
	OnSweep func(removed int, err error)
	// Presigned makes output URLs the storage's own presigned URLs
	// instead of the gateway's signed ones; the backend must be an
	// S3Backend.
	Presigned bool
}

// Store keeps outputs and signs their URLs. It is safe for concurrent use.
type Store struct {
	cfg  Config
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// Output is a stored file as a job reports it.
type Output struct {
	ID      string
	Name    string
	Size    int64
	URL     string
	Expires time.Time
}

// New returns a Store, removes outputs that expired while no instance ran,
// and starts the janitor.
func New(cfg Config) (*Store, error) {
	if cfg.Backend == nil {
		return nil, errors.New("outputs: no backend")
	}
	if _, ok := cfg.Backend.(S3Backend); cfg.Presigned && !ok {
		return nil, errors.New("outputs: presigned URLs need outputs in S3")
	}
	if cfg.Secrets == nil {
		var err error
		if cfg.Secrets, err = FixedSecrets(cfg.Secret); err != nil {
			return nil, err
		}
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.JanitorInterval == 0 {
		cfg.JanitorInterval = DefaultJanitorInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Store{cfg: cfg, stop: make(chan struct{})}
	if _, err := s.Sweep(context.Background()); err != nil {
		s.cfg.Log.Warn("removing expired outputs failed", "err", err)
	}
	if cfg.JanitorInterval > 0 {
		s.wg.Add(1)
		go s.janitor()
	}
	return s, nil
}

// TTL is how long outputs live.
func (s *Store) TTL() time.Duration { return s.cfg.TTL }

// Close stops the janitor.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.wg.Wait()
	return nil
}

func (s *Store) janitor() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.JanitorInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			n, err := s.Sweep(context.Background())
			if err != nil {
				s.cfg.Log.Warn("removing expired outputs failed", "err", err, "removed", n)
			} else if n > 0 {
				s.cfg.Log.Debug("expired outputs removed", "removed", n)
			}
			if s.cfg.OnSweep != nil {
				s.cfg.OnSweep(n, err)
			}
		}
	}
}

// Sweep removes expired outputs now.
func (s *Store) Sweep(ctx context.Context) (int, error) {
	return s.cfg.Backend.Sweep(ctx, s.cfg.Now())
}

// PutFile stores the file at path under a new id and returns its signed URL.
// name is the user-facing name; inline selects Content-Disposition: inline.
func (s *Store) PutFile(ctx context.Context, path, name string, inline bool) (Output, error) {
	f, err := os.Open(path)
	if err != nil {
		return Output{}, fmt.Errorf("open output: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Output{}, fmt.Errorf("open output: %w", err)
	}
	return s.put(ctx, f, st.Size(), name, inline)
}

// Put stores src under a new id and returns its signed URL.
func (s *Store) Put(ctx context.Context, src io.Reader, name string, inline bool) (Output, error) {
	return s.put(ctx, src, -1, name, inline)
}

func (s *Store) put(ctx context.Context, src io.Reader, size int64, name string, inline bool) (Output, error) {
	id, err := newID()
	if err != nil {
		return Output{}, err
	}
	name = safeName(name)
	expires := s.cfg.Now().Add(s.cfg.TTL).Truncate(time.Second)
	meta := Meta{Name: name, Inline: inline, ContentType: contentType(name), Size: size, Expires: expires}
	cr := &countReader{r: src}
	if err := s.cfg.Backend.Put(ctx, id, meta, cr); err != nil {
		return Output{}, err
	}
	link := s.URL(id, name, expires)
	if s.cfg.Presigned {
		var err error
		if link, err = s.cfg.Backend.(S3Backend).Presign(ctx, id, name, inline, expires, s.cfg.Now()); err != nil {
			return Output{}, err
		}
	}
	return Output{ID: id, Name: name, Size: cr.n, URL: link, Expires: expires}, nil
}

// URL is the signed URL of output id served as name until expires.
func (s *Store) URL(id, name string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return s.cfg.PublicURL + "/outputs/" + id + "/" + url.PathEscape(name) +
		"?expires=" + exp + "&sig=" + s.sign(id, name, exp)
}

// sign signs with the current secret.
func (s *Store) sign(id, name, expires string) string {
	return hex.EncodeToString(mac(s.cfg.Secrets.Current(), id, name, expires))
}

// mac covers the id, the name (so a link cannot be renamed into another
// Content-Disposition) and the expiry.
func mac(secret []byte, id, name, expires string) []byte {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, "gateway-output\x00"+id+"\x00"+name+"\x00"+expires)
	return m.Sum(nil)
}

// verify accepts a signature made with any secret of the keyring. When none
// matches, the keyring may be missing a secret another instance made (after
// Redis lost its data, say): it is refreshed, at a bounded rate, and the
// signature checked once more.
func (s *Store) verify(ctx context.Context, id, name, expires, sig string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	if s.matches(got, id, name, expires) {
		return true
	}
	return s.cfg.Secrets.refreshOnMiss(ctx) && s.matches(got, id, name, expires)
}

func (s *Store) matches(got []byte, id, name, expires string) bool {
	for _, secret := range s.cfg.Secrets.Verifying() {
		if hmac.Equal(got, mac(secret, id, name, expires)) {
			return true
		}
	}
	return false
}

func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
