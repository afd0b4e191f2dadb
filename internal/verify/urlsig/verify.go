package urlsig

import (
	"crypto/hmac"
	"encoding/hex"
)

// Verify checks q's signature against base, the configured base string
// (not the Host the request arrived with: TLS terminators and CDNs change
// that), under each of secrets in turn so a secret can be rotated without
// breaking links already published.
//
// Empty secrets are skipped: an empty HMAC key is a misconfiguration, and
// anyone can compute signatures under it.
func Verify(base string, secrets [][]byte, q Query) error {
	// Compare decoded bytes: comparing hex strings would accept case
	// variants differently and is not constant time.
	got, err := hex.DecodeString(q.S)
	if err != nil || len(got) != 32 {
		return ErrMalformedSignature
	}
	message := StringToSign(base, q.Rest)
	tried := false
	for _, secret := range secrets {
		if len(secret) == 0 {
			continue
		}
		tried = true
		if hmac.Equal(got, mac(secret, message)) {
			return nil
		}
	}
	if !tried {
		return ErrNoSecret
	}
	return ErrInvalidSignature
}
