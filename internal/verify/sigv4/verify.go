package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Verify checks a against req with the key's secret, for this gateway's
// region, at now, in S3's order: the credential scope (region, service s3,
// the date of X-Amz-Date), the time, then the signature.
//
// Time: a presigned URL is valid from X-Amz-Date for X-Amz-Expires seconds
// (expired: 403 AccessDenied "Request has expired"); one dated more than
// MaxSkew ahead of now is not valid yet, so that a presigner's clock a few
// minutes fast does not break its links. Header authentication allows
// MaxSkew either way (403 RequestTimeTooSkewed), which bounds how long a
// captured request can be replayed.
//
// A wrong signature is an error e with errors.Is(e, ErrSignatureDoesNotMatch)
// whose *Mismatch (errors.As) gives what the gateway signed.
func Verify(req *Request, a *Auth, secret, region string, now time.Time) error {
	if err := checkScope(a, region); err != nil {
		return err
	}
	if err := checkTime(a, now); err != nil {
		return err
	}
	if !a.Presigned {
		if err := checkHeadersSigned(req, a); err != nil {
			return err
		}
	}
	s := getScratch()
	defer putScratch(s)
	s.cr = appendCanonicalRequest(s.cr[:0], s, req, a.SignedHeaders, a.PayloadHash, a.Presigned)
	key := Keys.key(s, secret, a.Credential.Date, a.Credential.Region)
	sig := signWithKey(s, &key, a.Time, a.Credential)
	if !hmac.Equal(sig[:], a.Signature) {
		return &Mismatch{StringToSign: string(s.sts[64:]), CanonicalRequest: string(s.cr)}
	}
	return nil
}

// signWithKey signs s.cr: the string to sign goes to s.sts after a
// 64-byte block that the HMAC fills with the key pad.
func signWithKey(s *scratch, key *[32]byte, t time.Time, c Credential) [32]byte {
	crHash := sha256.Sum256(s.cr)
	s.sts = append(s.sts[:0], make([]byte, 64)...)
	s.sts = appendAlgorithmAndTime(s.sts, Algorithm, t)
	s.sts = appendScope(s.sts, c)
	s.sts = append(s.sts, '\n')
	s.sts = hex.AppendEncode(s.sts, crHash[:])
	sig := hmacWithKey(key, s.sts)
	clear(s.sts[:64]) // the padded key stays out of the pool
	return sig
}

func checkScope(a *Auth, region string) error {
	c := a.Credential
	prefix := "Error parsing the X-Amz-Credential parameter; "
	if !a.Presigned {
		prefix = ""
	}
	if c.Region != region {
		return malformed(a.Presigned, "%sthe region '%s' is wrong; expecting '%s'", prefix, c.Region, region)
	}
	if c.Service != Service {
		return malformed(a.Presigned, "%sincorrect service \"%s\". This endpoint belongs to \"%s\".", prefix, c.Service, Service)
	}
	var day [8]byte
	if string(a.Time.UTC().AppendFormat(day[:0], "20060102")) != c.Date {
		return malformed(a.Presigned, "Invalid credential date \"%s\". This date is not the same as X-Amz-Date: \"%s\".",
			c.Date, a.Time.UTC().Format("20060102"))
	}
	return nil
}

func checkTime(a *Auth, now time.Time) error {
	if !a.Presigned {
		if d := now.Sub(a.Time); d > MaxSkew || d < -MaxSkew {
			return ErrRequestTimeTooSkewed
		}
		return nil
	}
	switch {
	case a.Expires > MaxExpires:
		return ErrExpiresTooLong
	case a.Expires < time.Second:
		return queryError("X-Amz-Expires must be at least 1 second")
	case now.Before(a.Time.Add(-MaxSkew)):
		return ErrNotYetValid
	case now.After(a.Time.Add(a.Expires)):
		return ErrExpired
	}
	return nil
}

// checkHeadersSigned applies S3's rule for header authentication: every
// x-amz-* header sent must be signed, so that no one who sees a request can
// replay it with other metadata, storage class or checksum within the
// skew window; and a Date header that dates the request must be signed.
// X-Amz-Cf-Id is the exception S3 makes too: CloudFront adds it in front of
// the origin, after the client signed.
func checkHeadersSigned(req *Request, a *Auth) error {
	for k := range req.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") || strings.EqualFold(k, "x-amz-cf-id") {
			continue
		}
		if !signedFold(a.SignedHeaders, k) {
			if strings.EqualFold(k, "x-amz-content-sha256") {
				return ErrContentSHA256NotSigned
			}
			return ErrHeadersNotSigned
		}
	}
	if req.Header.Get("X-Amz-Date") == "" && !signedFold(a.SignedHeaders, "date") {
		return ErrHeadersNotSigned
	}
	return nil
}

func signedFold(signed []string, name string) bool {
	for _, s := range signed {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}
