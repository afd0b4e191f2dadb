// Package urlsig owns the signature of CloudConvert-style signed conversion
// URLs: building them as the official SDKs do, splitting the raw query,
// checking the HMAC, and decoding the job parameter once the HMAC holds.
// It does no I/O and knows nothing about HTTP handlers; the format is in
// /work/shared/specs/cloudconvert-signed-urls.md.
package urlsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// EncodeJob encodes job JSON as PHP, Ruby, Java and .NET do: URL-safe
// base64 without padding. Verification never relies on this spelling; it
// only matters for URLs this gateway signs itself.
func EncodeJob(jobJSON []byte) string {
	return base64.RawURLEncoding.EncodeToString(jobJSON)
}

// Unsigned is the URL before "&s=" is appended, exactly as the SDKs build
// it. The cache key goes in raw: the SDKs never percent-encode it, and the
// signature covers the bytes as sent.
func Unsigned(base string, jobJSON []byte, cacheKey string) string {
	u := base + "?job=" + EncodeJob(jobJSON)
	if cacheKey != "" {
		u += "&cache_key=" + cacheKey
	}
	return u
}

// Sign returns a complete signed URL for base. An empty cacheKey is left
// out, as the Node, PHP and Python SDKs do.
func Sign(base, secret string, jobJSON []byte, cacheKey string) string {
	u := Unsigned(base, jobJSON, cacheKey)
	return u + "&s=" + Signature([]byte(secret), u)
}

// Signature is the lowercase hex HMAC-SHA256 of message under secret.
func Signature(secret []byte, message string) string {
	return hex.EncodeToString(mac(secret, message))
}

// StringToSign is the message a URL's signature covers, given the raw
// query with the s pair removed (Query.Rest). A CLI --explain prints it.
func StringToSign(base, rest string) string {
	return base + "?" + rest
}

// Expected returns the message that was signed and the signature secret
// would give it, for a debug mode that explains a refusal.
//
// The signature is a valid credential for that message: show it to the
// operator (CLI, server log at debug level), never in a response, or the
// gateway becomes a signing oracle for anyone who sends it a URL.
func Expected(base string, secret []byte, rest string) (message, signature string) {
	message = StringToSign(base, rest)
	return message, Signature(secret, message)
}

func mac(secret []byte, message string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(message))
	return h.Sum(nil)
}
