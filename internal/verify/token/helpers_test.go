package token

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"
)

// Keys are generated once per test binary: RSA-2048 generation is slow.
var (
	keysOnce             sync.Once
	privA, privA2, privB *rsa.PrivateKey
)

func testKeys(tb testing.TB) {
	tb.Helper()
	keysOnce.Do(func() {
		for _, p := range []**rsa.PrivateKey{&privA, &privA2, &privB} {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			*p = k
		}
	})
}

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// keyStore is a KeyLookup whose keys can be deleted, as the admin API does.
type keyStore struct {
	mu   sync.Mutex
	keys map[string]Key
}

func newKeyStore(tb testing.TB) *keyStore {
	testKeys(tb)
	return &keyStore{keys: map[string]Key{
		"kid-a":  {ID: "kid-a", Bucket: "bucket-a", Public: &privA.PublicKey, Alg: AlgRS256},
		"kid-a2": {ID: "kid-a2", Bucket: "bucket-a", Public: &privA2.PublicKey, Alg: AlgRS256},
		"kid-b":  {ID: "kid-b", Bucket: "bucket-b", Public: &privB.PublicKey, Alg: AlgRS256},
	}}
}

func (s *keyStore) lookup(kid string) (Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[kid]
	return k, ok
}

func (s *keyStore) delete(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, kid)
}

func (s *keyStore) set(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
}

func mustSign(tb testing.TB, priv *rsa.PrivateKey, kid string, c Claims) string {
	tb.Helper()
	tok, err := Sign(priv, kid, c)
	if err != nil {
		tb.Fatalf("Sign: %v", err)
	}
	return tok
}

// rawToken assembles a token from JSON parts and a raw signature, for
// tokens Sign would never make.
func rawToken(header, payload any, sig []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "." + enc.EncodeToString(sig)
}
