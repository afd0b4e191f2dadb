package token

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"time"
)

// AlgRS256 is the only algorithm a delivery key is made for.
const AlgRS256 = "RS256"

// DefaultLeeway absorbs clock skew between the signer and the gateway.
const DefaultLeeway = 30 * time.Second

// MaxTokenLen bounds the work a single token can cause before the key
// lookup; real delivery tokens are well under 1 KiB.
const MaxTokenLen = 8 << 10

// Key is a public signing key as the gateway stores it.
type Key struct {
	ID     string
	Bucket string
	Public *rsa.PublicKey
	// Alg is the algorithm the key was made for; "" is read as RS256.
	Alg string
}

// KeyLookup returns the live key with the given id. It must report false
// for a deleted key: that is what makes a deletion take effect at once,
// cached tokens included.
type KeyLookup func(kid string) (Key, bool)

// Claims are the claims of a delivery token that the gateway acts on.
type Claims struct {
	KeyID string
	// URI is the directory or file the token opens; "" is the whole bucket.
	URI string
	// ExpiresAt and NotBefore are zero when the claim is absent.
	ExpiresAt time.Time
	NotBefore time.Time
	// Extra holds custom claims for Sign. Verify ignores custom claims and
	// leaves Extra nil.
	Extra map[string]any
}

// Verifier checks delivery tokens. Its fields are read-only once in use,
// and Verify is safe for concurrent use.
type Verifier struct {
	Lookup KeyLookup
	// Leeway is allowed on exp and nbf: 0 means DefaultLeeway, a negative
	// value means none.
	Leeway time.Duration
	// Cache, when set, remembers verified tokens so that repeats skip RSA.
	Cache *Cache
}

// Verify checks token for a request of path inside bucket at time now and
// returns its claims, or one of the package's *Error values. path is the
// decoded request path exactly as it will be served (see InScope).
func (v *Verifier) Verify(token, bucket, path string, now time.Time) (*Claims, error) {
	if token == "" {
		return nil, ErrTokenMissing
	}
	if len(token) > MaxTokenLen {
		return nil, ErrMalformed
	}
	var sum [sha256.Size]byte
	if v.Cache != nil {
		sum = sha256.Sum256([]byte(token))
		if e, ok := v.Cache.get(&sum, now); ok {
			return v.recheck(e, bucket, path, now)
		}
	}

	p, err := split(token)
	if err != nil {
		return nil, err
	}
	h, err := decodeHeader(p.header)
	if err != nil {
		return nil, err
	}
	if h.Kid == "" {
		return nil, ErrUnknownKey
	}
	key, err := v.liveKey(h.Kid, bucket)
	if err != nil {
		return nil, err
	}
	if h.Alg != AlgRS256 {
		return nil, ErrBadAlgorithm
	}
	c, err := decodePayload(p.payload)
	if err != nil {
		return nil, err
	}
	c.KeyID = h.Kid
	sig, err := decodeSignature(p.signature)
	if err != nil {
		return nil, err
	}
	if err := v.checkClaims(&c, path, now); err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte(p.signed))
	if rsa.VerifyPKCS1v15(key.Public, crypto.SHA256, digest[:], sig) != nil {
		return nil, ErrBadSignature
	}
	if v.Cache != nil {
		v.Cache.put(&sum, &cacheEntry{claims: c, pub: key.Public}, now, v.leeway())
	}
	return &c, nil
}

// recheck is everything but the signature, for a token already verified.
func (v *Verifier) recheck(e *cacheEntry, bucket, path string, now time.Time) (*Claims, error) {
	key, err := v.liveKey(e.claims.KeyID, bucket)
	if err != nil {
		return nil, err
	}
	// A key id reused for different material must not inherit old tokens.
	if !samePublicKey(key.Public, e.pub) {
		return nil, ErrUnknownKey
	}
	c := e.claims
	if err := v.checkClaims(&c, path, now); err != nil {
		return nil, err
	}
	return &c, nil
}

// liveKey finds the key named by kid and checks that it may sign for
// bucket with the one algorithm this package verifies.
func (v *Verifier) liveKey(kid, bucket string) (Key, error) {
	key, ok := v.Lookup(kid)
	if !ok || key.Public == nil {
		return Key{}, ErrUnknownKey
	}
	if key.Bucket != bucket {
		return Key{}, ErrWrongBucket
	}
	if key.Alg != "" && key.Alg != AlgRS256 {
		return Key{}, ErrBadAlgorithm
	}
	return key, nil
}

func (v *Verifier) checkClaims(c *Claims, path string, now time.Time) error {
	if !InScope(c.URI, path) {
		return ErrOutOfScope
	}
	leeway := v.leeway()
	// RFC 7519: the token is invalid at exp itself and valid from nbf on.
	if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt.Add(leeway)) {
		return ErrExpired
	}
	if !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore) {
		return ErrNotYetValid
	}
	return nil
}

func (v *Verifier) leeway() time.Duration {
	switch {
	case v.Leeway == 0:
		return DefaultLeeway
	case v.Leeway < 0:
		return 0
	}
	return v.Leeway
}

// samePublicKey compares public values, so unlike rsa.PublicKey.Equal it
// needs no constant time and allocates nothing.
func samePublicKey(a, b *rsa.PublicKey) bool {
	return a == b || a.E == b.E && a.N.Cmp(b.N) == 0
}
