package outputs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

func TestSecretsConfigured(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSecrets(context.Background(), SecretsConfig{
		Configured: "configured-secret-value", Previous: []string{"previous-secret-value"}, DataDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Current()) != "configured-secret-value" {
		t.Errorf("signs with %q", s.Current())
	}
	if v := s.Verifying(); len(v) != 2 || string(v[1]) != "previous-secret-value" {
		t.Errorf("verifies with %q", v)
	}
	if _, err := os.Stat(filepath.Join(dir, SecretFile)); !os.IsNotExist(err) {
		t.Errorf("a configured secret must not create a file: %v", err)
	}
	if _, err := OpenSecrets(context.Background(), SecretsConfig{Configured: "configured-secret-value", Previous: []string{"short"}}); err == nil {
		t.Error("a short previous secret was accepted")
	}
}

func TestSecretsEmbedded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := OpenSecrets(context.Background(), SecretsConfig{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Current()) < 32 {
		t.Errorf("generated secret is %d bytes", len(first.Current()))
	}
	st, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", st.Mode().Perm())
	}
	again, err := OpenSecrets(context.Background(), SecretsConfig{DataDir: dir})
	if err != nil || !bytes.Equal(first.Current(), again.Current()) {
		t.Errorf("second start read %q (%v), want the first secret", again.Current(), err)
	}
}

// openRedisSecrets opens a keyring on rdb without a background refresh;
// the test calls Refresh.
func openRedisSecrets(t *testing.T, rdb redis.UniversalClient, prefix string, mod func(*SecretsConfig)) *Secrets {
	t.Helper()
	cfg := SecretsConfig{Redis: rdb, Prefix: prefix, DataDir: t.TempDir(), TTL: time.Hour, Refresh: -1}
	if mod != nil {
		mod(&cfg)
	}
	s, err := OpenSecrets(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSecretsRedisShared(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a := openRedisSecrets(t, rdb, prefix, nil)
	b := openRedisSecrets(t, rdb, prefix, nil)
	if !bytes.Equal(a.Current(), b.Current()) {
		t.Fatalf("two instances sign with different secrets")
	}
	p2 := redistest.Prefix(t, rdb)
	other := openRedisSecrets(t, rdb, p2, nil)
	if bytes.Equal(a.Current(), other.Current()) {
		t.Errorf("another prefix shares the secret")
	}
}

// TestSecretsAdoptLegacy: an instance joining ones of an earlier version
// signs with the secret they keep under the old key.
func TestSecretsAdoptLegacy(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	const legacy = "legacy-secret-0123456789abcdef"
	if err := rdb.Set(context.Background(), prefix+LegacySecretKey, legacy, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if s := openRedisSecrets(t, rdb, prefix, nil); string(s.Current()) != legacy {
		t.Errorf("signs with %q, want the legacy secret", s.Current())
	}
}

// TestSecretsVerifyCurrentAndPrevious: URLs signed with the current secret
// or a previous one are served; one signed with a secret the keyring does
// not hold is refused.
func TestSecretsVerifyCurrentAndPrevious(t *testing.T) {
	current, previous := []byte("current-secret-0123456789"), []byte("previous-secret-0123456789")
	ring, err := FixedSecrets(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { c.Secrets = ring })
	signedWith := func(secret string) string {
		s, err := New(Config{Backend: Dir{Root: f.root}, PublicURL: f.srv.URL, Secret: []byte(secret), JanitorInterval: -1, Now: f.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		o, err := s.Put(context.Background(), strings.NewReader("data"), "a.txt", false)
		if err != nil {
			t.Fatal(err)
		}
		return o.URL
	}
	own := f.put(t, "data", "a.txt", false).URL
	for _, tt := range []struct {
		what string
		url  string
		want int
	}{
		{"its own URL", own, http.StatusOK},
		{"signed with the current secret", signedWith(string(current)), http.StatusOK},
		{"signed with the previous secret", signedWith(string(previous)), http.StatusOK},
		{"signed with another secret", signedWith("another-secret-0123456789"), http.StatusForbidden},
	} {
		if resp, body := do(t, "GET", tt.url, nil); resp.StatusCode != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.what, resp.StatusCode, body, tt.want)
		}
	}
}

// putRecord stores a secret in Redis as another instance would.
func putRecord(t *testing.T, rdb redis.UniversalClient, prefix, secret string, created time.Time) {
	t.Helper()
	data, err := json.Marshal(newRecord(secret, created))
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(context.Background(), prefix+SecretsKey, secretID(secret), data).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestSecretsBounded: a keyring holds at most MaxSecrets, signs with the
// newest, and drops (also from Redis) a secret once a newer one has signed
// for longer than an output URL lives.
func TestSecretsBounded(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	clk := &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	ttl := time.Hour
	s := openRedisSecrets(t, rdb, prefix, func(c *SecretsConfig) { c.Now = clk.Now; c.TTL = ttl })
	first := string(s.Current())
	for i := range MaxSecrets + 4 {
		clk.Add(time.Minute)
		putRecord(t, rdb, prefix, fmt.Sprintf("other-instance-secret-%02d", i), clk.Now())
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	v := s.Verifying()
	if len(v) != MaxSecrets {
		t.Fatalf("verifies with %d secrets, want %d", len(v), MaxSecrets)
	}
	newest := fmt.Sprintf("other-instance-secret-%02d", MaxSecrets+3)
	if string(s.Current()) != newest {
		t.Errorf("signs with %q, want the newest %q", s.Current(), newest)
	}
	for _, k := range v {
		if string(k) == first {
			t.Errorf("the oldest secret is still kept")
		}
	}
	if n := rdb.HLen(context.Background(), prefix+SecretsKey).Val(); n != MaxSecrets {
		t.Errorf("redis keeps %d secrets, want %d", n, MaxSecrets)
	}

	// Once the newest has signed for longer than a URL lives, nothing
	// signed with the others can still be valid.
	clk.Add(ttl + SecretsGrace - time.Second)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Verifying()); n != 2 {
		t.Errorf("after a TTL verifies with %d secrets, want the newest and the one before it", n)
	}
	clk.Add(2 * time.Second)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := s.Verifying(); len(v) != 1 || string(v[0]) != newest {
		t.Errorf("verifies with %d secrets, want only the newest", len(v))
	}
	if n := rdb.HLen(context.Background(), prefix+SecretsKey).Val(); n != 1 {
		t.Errorf("redis keeps %d secrets, want 1", n)
	}
}

// countHGetAll counts the reads of the secrets hash.
type countHGetAll struct{ n atomic.Int64 }

func (h *countHGetAll) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHGetAll) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.count(cmd)
		return next(ctx, cmd)
	}
}
func (h *countHGetAll) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			h.count(c)
		}
		return next(ctx, cmds)
	}
}
func (h *countHGetAll) count(cmd redis.Cmder) {
	if cmd.Name() == "hgetall" {
		h.n.Add(1)
	}
}

// TestSecretsRefreshOnMiss: a URL signed with a secret another instance
// has just put in Redis is served at once, through a refresh; bad
// signatures cause at most one refresh per MissInterval.
func TestSecretsRefreshOnMiss(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	hook := &countHGetAll{}
	rdb.AddHook(hook)
	clk := &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	ring := openRedisSecrets(t, rdb, prefix, func(c *SecretsConfig) { c.Now = clk.Now; c.MissInterval = time.Second })
	f := newFixture(t, func(c *Config) { c.Secrets = ring })
	// other is an instance whose secret is newer than any ring knows.
	other := func(secret string) string {
		clk.Add(time.Millisecond)
		putRecord(t, rdb, prefix, secret, clk.Now())
		s, err := New(Config{Backend: Dir{Root: f.root}, PublicURL: f.srv.URL, Secret: []byte(secret), JanitorInterval: -1, Now: f.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		o, err := s.Put(context.Background(), strings.NewReader("data"), "a.txt", false)
		if err != nil {
			t.Fatal(err)
		}
		return o.URL
	}

	reads := hook.n.Load()
	if resp, body := do(t, "GET", other("second-instance-secret-0123"), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a URL of a secret just shared: %d %s", resp.StatusCode, body)
	}
	if got := hook.n.Load() - reads; got != 1 {
		t.Errorf("%d reads of redis for one miss, want 1", got)
	}

	// Within MissInterval of that refresh, misses read Redis no more, even
	// many at once.
	reads = hook.n.Load()
	third := other("third-instance-secret-0123")
	bad := third[:strings.Index(third, "sig=")+4] + strings.Repeat("0", 64)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, _ := do(t, "GET", bad, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("a bad signature: %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if resp, _ := do(t, "GET", third, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a refresh within MissInterval of the last: %d", resp.StatusCode)
	}
	if got := hook.n.Load() - reads; got != 0 {
		t.Errorf("%d reads of redis within MissInterval of the last", got)
	}

	// After it, one miss refreshes again; concurrent misses share it.
	clk.Add(time.Second)
	for range 20 {
		wg.Go(func() { do(t, "GET", bad, nil) })
	}
	wg.Wait()
	if got := hook.n.Load() - reads; got != 1 {
		t.Errorf("%d reads of redis for a burst of misses, want 1", got)
	}
	if resp, body := do(t, "GET", third, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after MissInterval: %d %s", resp.StatusCode, body)
	}
}

// TestSecretsSurviveRedisLoss: two keyrings share a secret; Redis is killed
// and comes back empty; a third keyring starts on it and makes its own.
// After a refresh of each, every keyring verifies every secret, and they
// sign with the same one again. While Redis is down they keep their
// secrets and log the outage once, without a secret.
func TestSecretsSurviveRedisLoss(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	var logs testutil.LogBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := func() redis.UniversalClient {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	open := func() *Secrets {
		return openRedisSecrets(t, client(), "gw:", func(c *SecretsConfig) { c.Log = log })
	}
	a, b := open(), open()
	old := string(a.Current())
	if string(b.Current()) != old {
		t.Fatal("two instances sign with different secrets")
	}

	srv.Kill()
	ctx := context.Background()
	for range 3 {
		if err := a.Refresh(ctx); err == nil {
			t.Fatal("a refresh with redis down succeeded")
		}
	}
	if string(a.Current()) != old {
		t.Error("redis down: the signing secret changed")
	}
	if n := strings.Count(logs.String(), "refresh failed"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs.String())
	}
	srv.Start()

	c := open()
	for _, s := range []*Secrets{a, b, c, a} { // a again: it learns of c's
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	known := func(s *Secrets, secret string) bool {
		for _, k := range s.Verifying() {
			if string(k) == secret {
				return true
			}
		}
		return false
	}
	fresh := string(c.Current())
	for name, s := range map[string]*Secrets{"a": a, "b": b, "c": c} {
		if !known(s, old) || !known(s, fresh) {
			t.Errorf("%s does not verify both the old and the new secret", name)
		}
	}
	if !bytes.Equal(a.Current(), c.Current()) || !bytes.Equal(b.Current(), c.Current()) {
		t.Errorf("the instances do not sign with one secret again")
	}
	if !strings.Contains(logs.String(), "answers again") {
		t.Errorf("the end of the outage was not logged:\n%s", logs.String())
	}
	for _, secret := range []string{old, fresh} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a secret was logged:\n%s", logs.String())
		}
	}
}
