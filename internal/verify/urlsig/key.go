package urlsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
	"unsafe"
)

// Key is a signing secret ready to check signatures with. The HMAC's keyed
// state is computed once and reused, so a check hashes only the message,
// allocates nothing, and never builds the string to sign.
type Key struct {
	empty bool
	macs  sync.Pool // of *keyedMAC
}

type keyedMAC struct {
	h   hash.Hash // HMAC-SHA256 keyed with the secret
	sum [sha256.Size]byte
}

var question = []byte{'?'}

// NewKey prepares secret. It keeps its own copy.
func NewKey(secret []byte) *Key {
	k := &Key{empty: len(secret) == 0}
	s := append([]byte(nil), secret...)
	k.macs.New = func() any { return &keyedMAC{h: hmac.New(sha256.New, s)} }
	return k
}

// Verify is the package's Verify under this one secret.
func (k *Key) Verify(base string, q Query) error {
	var got [sha256.Size]byte
	if !decodeHex(got[:], q.S) {
		return ErrMalformedSignature
	}
	if k.empty {
		return ErrNoSecret
	}
	m := k.macs.Get().(*keyedMAC)
	defer k.macs.Put(m)
	m.h.Reset()
	m.h.Write(bytesOf(base))
	m.h.Write(question)
	m.h.Write(bytesOf(q.Rest))
	if !hmac.Equal(got[:], m.h.Sum(m.sum[:0])) {
		return ErrInvalidSignature
	}
	return nil
}

// bytesOf views s as bytes, for hash writes, which only read them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// decodeHex decodes a hex string of exactly len(dst) bytes, either case.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
