package uploadsig

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"strconv"
)

// Algorithm is the digest a client signed with. Nothing on the wire names
// it; Verify infers it from the signature's length.
type Algorithm int

const (
	// SHA1 is the SDKs' default: 40 hex characters.
	SHA1 Algorithm = iota + 1
	// SHA256 is used when the client is configured for it: 64 hex characters.
	SHA256
)

func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "sha1"
	case SHA256:
		return "sha256"
	default:
		return "Algorithm(" + strconv.Itoa(int(a)) + ")"
	}
}

func (a Algorithm) new() hash.Hash {
	if a == SHA256 {
		return sha256.New()
	}
	return sha1.New()
}

// digest is hash(message + secret), the construction every SDK uses.
func digest(message, secret string, algo Algorithm) []byte {
	h := algo.new()
	h.Write([]byte(message))
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// Sign returns the lowercase hex signature of stringToSign with secret.
// Any Algorithm other than SHA256 signs with SHA-1, the SDK default.
func Sign(stringToSign, secret string, algo Algorithm) string {
	return hex.EncodeToString(digest(stringToSign, secret, algo))
}

// algorithmFor maps a hex signature's length to its digest.
func algorithmFor(signature string) (Algorithm, bool) {
	switch len(signature) {
	case 2 * sha1.Size:
		return SHA1, true
	case 2 * sha256.Size:
		return SHA256, true
	default:
		return 0, false
	}
}

// Verify checks signature against params and secret and returns the string
// that was signed. Version 2 is tried first; version 1 only when allowV1,
// because version 1 lets a value containing "&" pose as extra parameters.
//
// Hex is decoded before comparing, so uppercase signatures are accepted and
// the comparison runs in constant time on the raw digest. Every failure,
// including a signature of the wrong length, returns a 401 *verify.Refusal
// whose message shows the version 2 string to sign.
func Verify(p Params, signature, secret string, allowV1 bool) (string, error) {
	if signature == "" {
		return "", missingParam("signature")
	}
	v2 := StringToSign(p, 2)
	algo, ok := algorithmFor(signature)
	if !ok {
		return "", invalidSignature(signature, v2)
	}
	sent, err := hex.DecodeString(signature)
	if err != nil {
		return "", invalidSignature(signature, v2)
	}
	candidates := []string{v2}
	if allowV1 {
		if v1 := StringToSign(p, 1); v1 != v2 {
			candidates = append(candidates, v1)
		}
	}
	for _, s := range candidates {
		if subtle.ConstantTimeCompare(sent, digest(s, secret, algo)) == 1 {
			return s, nil
		}
	}
	return "", invalidSignature(signature, v2)
}

// ResponseSignature is the "signature" field of an upload result, which SDKs
// check with their verify_api_response_signature helpers. It is always
// SHA-1 over a version 1 string of public_id and version, whatever the
// client signed its request with.
func ResponseSignature(publicID string, version int64, secret string) string {
	s := "public_id=" + publicID + "&version=" + strconv.FormatInt(version, 10)
	return Sign(s, secret, SHA1)
}
