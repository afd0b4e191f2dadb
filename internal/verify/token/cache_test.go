package token

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"
)

// cached reports whether tok has a live entry, which is how the tests see
// that a later Verify skipped the RSA step.
func cached(c *Cache, tok string, now time.Time) bool {
	sum := sha256.Sum256([]byte(tok))
	_, ok := c.get(&sum, now)
	return ok
}

func TestCacheHitRechecksEverythingButTheSignature(t *testing.T) {
	tests := []struct {
		name   string
		bucket string
		path   string
		now    time.Time
		prep   func(*keyStore)
		want   error
	}{
		{"same request", "bucket-a", "/a/x", t0, nil, nil},
		{"another path in scope", "bucket-a", "/a/y/z", t0.Add(time.Minute), nil, nil},
		{"path out of scope", "bucket-a", "/b/x", t0, nil, ErrOutOfScope},
		{"non-canonical path", "bucket-a", "/a/../b", t0, nil, ErrOutOfScope},
		{"another bucket", "bucket-b", "/a/x", t0, nil, ErrWrongBucket},
		{"before nbf", "bucket-a", "/a/x", t0.Add(-time.Hour), nil, ErrNotYetValid},
		{"key deleted", "bucket-a", "/a/x", t0, func(s *keyStore) { s.delete("kid-a") }, ErrUnknownKey},
		{"key id reused for other material", "bucket-a", "/a/x", t0, func(s *keyStore) {
			s.set(Key{ID: "kid-a", Bucket: "bucket-a", Public: &privB.PublicKey, Alg: AlgRS256})
		}, ErrUnknownKey},
		{"key repinned to another algorithm", "bucket-a", "/a/x", t0, func(s *keyStore) {
			s.set(Key{ID: "kid-a", Bucket: "bucket-a", Public: &privA.PublicKey, Alg: "RS512"})
		}, ErrBadAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newKeyStore(t)
			cache := NewCache(100, time.Hour)
			v := &Verifier{Lookup: store.lookup, Cache: cache}
			tok := mustSign(t, privA, "kid-a", Claims{URI: "/a", NotBefore: t0.Add(-time.Minute), ExpiresAt: t0.Add(time.Hour)})
			if _, err := v.Verify(tok, "bucket-a", "/a/x", t0); err != nil {
				t.Fatalf("first Verify: %v", err)
			}
			if !cached(cache, tok, t0) {
				t.Fatal("got no cache entry after a verified token, want one")
			}
			if tt.prep != nil {
				tt.prep(store)
			}
			c, err := v.Verify(tok, tt.bucket, tt.path, tt.now)
			if err != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && (c.URI != "/a" || c.KeyID != "kid-a") {
				t.Errorf("got claims %+v, want uri /a kid kid-a", c)
			}
		})
	}
}

func TestCacheEntryLifetime(t *testing.T) {
	store := newKeyStore(t)
	cache := NewCache(100, 10*time.Minute)
	v := &Verifier{Lookup: store.lookup, Cache: cache}
	withExp := mustSign(t, privA, "kid-a", Claims{ExpiresAt: t0.Add(time.Minute)})
	noExp := mustSign(t, privA, "kid-a", Claims{URI: "/forever"})
	for _, tok := range []string{withExp, noExp} {
		if _, err := v.Verify(tok, "bucket-a", "/forever/x", t0); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  bool
	}{
		{"exp token before exp", withExp, t0.Add(time.Minute), true},
		{"exp token within leeway", withExp, t0.Add(time.Minute + DefaultLeeway - time.Nanosecond), true},
		{"exp token past exp and leeway", withExp, t0.Add(time.Minute + DefaultLeeway), false},
		{"no-exp token within max age", noExp, t0.Add(10*time.Minute - time.Nanosecond), true},
		{"no-exp token past max age", noExp, t0.Add(10 * time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cached(cache, tt.token, tt.at); got != tt.want {
				t.Errorf("got cached %v, want %v", got, tt.want)
			}
		})
	}
	if got := cache.Len(); got != 0 {
		t.Errorf("got %d entries after both died, want 0", got)
	}
}

func TestCacheDropKey(t *testing.T) {
	store := newKeyStore(t)
	cache := NewCache(100, time.Hour)
	v := &Verifier{Lookup: store.lookup, Cache: cache}
	var tokA, tokB []string
	for i := range 5 {
		tokA = append(tokA, mustSign(t, privA, "kid-a", Claims{Extra: map[string]any{"n": i}}))
		tokB = append(tokB, mustSign(t, privA2, "kid-a2", Claims{Extra: map[string]any{"n": i}}))
	}
	for _, tok := range append(append([]string{}, tokA...), tokB...) {
		if _, err := v.Verify(tok, "bucket-a", "/x", t0); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	if got := cache.DropKey("kid-a"); got != 5 {
		t.Errorf("got %d dropped, want 5", got)
	}
	for _, tok := range tokA {
		if cached(cache, tok, t0) {
			t.Error("got a kid-a token still cached after DropKey, want none")
		}
	}
	for _, tok := range tokB {
		if !cached(cache, tok, t0) {
			t.Error("got a kid-a2 token dropped by DropKey(kid-a), want it kept")
		}
	}
}

func TestCacheBounded(t *testing.T) {
	tests := []struct{ max, insert int }{{1, 10}, {7, 100}, {64, 1000}, {1000, 5000}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max %d", tt.max), func(t *testing.T) {
			c := NewCache(tt.max, time.Hour)
			for i := range tt.insert {
				sum := sha256.Sum256(fmt.Appendf(nil, "token %d", i))
				c.put(&sum, &cacheEntry{claims: Claims{KeyID: "k"}}, t0, 0)
				if got := c.Len(); got > tt.max {
					t.Fatalf("got %d entries after %d puts, want at most %d", got, i+1, tt.max)
				}
			}
		})
	}
}

func TestCacheEvictsLeastRecentlyUsedOfTwo(t *testing.T) {
	c := NewCache(2, time.Hour)
	if len(c.shards) != 1 || c.perShard != 2 {
		t.Fatalf("got %d shards of %d, want 1 of 2", len(c.shards), c.perShard)
	}
	// With two entries in the shard, the two sampled are both of them.
	a, b, n := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b")), sha256.Sum256([]byte("new"))
	c.put(&a, &cacheEntry{}, t0, 0)
	c.put(&b, &cacheEntry{}, t0.Add(time.Second), 0)
	if _, ok := c.get(&a, t0.Add(3*time.Second)); !ok {
		t.Fatal("got a missing before eviction, want it cached")
	}
	c.put(&n, &cacheEntry{}, t0.Add(4*time.Second), 0)
	for _, tt := range []struct {
		name string
		sum  *[sha256.Size]byte
		want bool
	}{{"recently used", &a, true}, {"least recently used", &b, false}, {"new", &n, true}} {
		if _, ok := c.get(tt.sum, t0.Add(4*time.Second)); ok != tt.want {
			t.Errorf("%s entry: got cached %v, want %v", tt.name, ok, tt.want)
		}
	}
}

// TestCacheConcurrent is for the race detector: verifications, deletions
// and DropKey at once, and no deleted key's token accepted afterwards.
func TestCacheConcurrent(t *testing.T) {
	store := newKeyStore(t)
	cache := NewCache(64, time.Hour)
	v := &Verifier{Lookup: store.lookup, Cache: cache}
	var toks []string
	for i := range 8 {
		toks = append(toks, mustSign(t, privA2, "kid-a2", Claims{Extra: map[string]any{"n": i}}))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := v.Verify(toks[(g+i)%len(toks)], "bucket-a", "/x", t0); err != nil && err != ErrUnknownKey {
					t.Errorf("Verify: %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		store.delete("kid-a2")
		cache.DropKey("kid-a2")
	})
	wg.Wait()
	for _, tok := range toks {
		if _, err := v.Verify(tok, "bucket-a", "/x", t0); err != ErrUnknownKey {
			t.Errorf("got %v after deletion, want %v", err, ErrUnknownKey)
		}
	}
}
