package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync/atomic"
)

// TokenChecker says whether a bearer token admits a request to the admin
// API. Tokens is one; the gateway wraps it to re-read a token file.
type TokenChecker interface {
	Admits(token string) bool
}

// Tokens is the set of admin tokens a Router admits. Several tokens are
// admitted at once so that a new one can be rolled in, on every instance,
// before the old one is removed; Set replaces the set while requests are
// being checked.
type Tokens struct {
	hashes atomic.Pointer[[][sha256.Size]byte]
}

var _ TokenChecker = (*Tokens)(nil)

// NewTokens returns a set that admits each of tokens.
func NewTokens(tokens ...string) *Tokens {
	t := &Tokens{}
	t.Set(tokens)
	return t
}

// Set makes tokens the set: from now on each of them is admitted and no
// other. Only their SHA-256 hashes are kept.
func (t *Tokens) Set(tokens []string) {
	hashes := make([][sha256.Size]byte, 0, len(tokens))
	seen := map[[sha256.Size]byte]bool{}
	for _, tok := range tokens {
		h := sha256.Sum256([]byte(tok))
		if !seen[h] {
			seen[h] = true
			hashes = append(hashes, h)
		}
	}
	t.hashes.Store(&hashes)
}

// Len is the number of distinct tokens admitted.
func (t *Tokens) Len() int { return len(*t.hashes.Load()) }

// Admits reports whether token is one of the set. Comparing fixed-size
// hashes keeps each comparison constant-time even in the token's length,
// and every hash is compared, with no early return on a match, so that
// the time taken says neither whether nor which token matched.
func (t *Tokens) Admits(token string) bool {
	got := sha256.Sum256([]byte(token))
	match := 0
	for _, h := range *t.hashes.Load() {
		match |= subtle.ConstantTimeCompare(got[:], h[:])
	}
	return match == 1
}
