package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// SigningKey is SigV4's derived key: HMAC-SHA256 chained over "AWS4"+secret,
// the date (yyyymmdd), the region, the service and "aws4_request". It
// changes once a day per secret, which is what makes it worth caching.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	return hmacSum(k, "aws4_request")
}

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Keys is the signing-key cache Verify and the chunked reader use.
var Keys = NewKeyCache(4096)

// KeyCache keeps derived signing keys so that a check costs one HMAC and
// one SHA-256 rather than five HMACs. It is bounded: two generations of at
// most n/2 keys each; a key used in the older generation moves to the newer
// one, and the older one is dropped whole when the newer one fills, so the
// keys in use stay and the rest age out without per-entry bookkeeping.
//
// Entries are keyed by the SHA-256 of the secret, never the secret itself:
// a deleted access key's secret is not kept alive by the cache. The cache
// is safe for concurrent use.
type KeyCache struct {
	mu        sync.Mutex
	half      int
	cur, prev map[keyID][32]byte
}

type keyID struct {
	secret [32]byte
	date   [8]byte
	region string
}

// NewKeyCache makes a cache of at most n keys (at least 2).
func NewKeyCache(n int) *KeyCache {
	half := max(n/2, 1)
	return &KeyCache{half: half, cur: make(map[keyID][32]byte), prev: make(map[keyID][32]byte)}
}

// Key returns the S3 signing key for secret, date and region, derived once
// per day and region.
func (c *KeyCache) Key(secret, date, region string) [32]byte {
	s := getScratch()
	defer putScratch(s)
	return c.key(s, secret, date, region)
}

// key uses s.tmp to hash the secret without allocating.
func (c *KeyCache) key(s *scratch, secret, date, region string) [32]byte {
	var out [32]byte
	if len(date) != 8 {
		copy(out[:], SigningKey(secret, date, region, Service))
		return out
	}
	id := keyIDFor(s, secret, date, region)
	c.mu.Lock()
	k, ok := c.cur[id]
	if !ok {
		if k, ok = c.prev[id]; ok {
			c.put(id, k)
		}
	}
	c.mu.Unlock()
	if ok {
		return k
	}
	copy(k[:], SigningKey(secret, date, region, Service))
	c.mu.Lock()
	c.put(id, k)
	c.mu.Unlock()
	return k
}

// keyIDFor hashes the secret in s.tmp, so that it costs no allocation.
func keyIDFor(s *scratch, secret, date, region string) keyID {
	s.tmp = append(s.tmp[:0], secret...)
	id := keyID{secret: sha256.Sum256(s.tmp), region: region}
	copy(id.date[:], date)
	clear(s.tmp) // no copy of the secret stays in the pool
	return id
}

// put stores a key in the newer generation; c.mu is held.
func (c *KeyCache) put(id keyID, k [32]byte) {
	if len(c.cur) >= c.half {
		c.prev, c.cur = c.cur, make(map[keyID][32]byte, c.half)
	}
	c.cur[id] = k
}

// Len is the number of keys held.
func (c *KeyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.prev)
}

// hmacWithKey is HMAC-SHA256 with a 32-byte key, written out so that the
// hot path allocates nothing: crypto/hmac allocates its two digests and
// pads on every call. s.sts must hold 64 bytes of room followed by the
// message (see Verify); the first 64 bytes are overwritten with key^ipad.
func hmacWithKey(key *[32]byte, block []byte) [32]byte {
	for i := range 64 {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		block[i] = k ^ 0x36
	}
	inner := sha256.Sum256(block)
	var outer [64 + 32]byte
	for i := range 64 {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		outer[i] = k ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}
