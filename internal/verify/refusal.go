// Package verify owns the signature checks of every dialect, one subpackage
// each: urlsig (signed conversion URLs, HMAC-SHA256), token (bucket delivery,
// RS256 JWTs), uploadsig (signed uploads, SHA-1/SHA-256 over parameters) and
// sigv4 (S3 presigned URLs and S3 requests, AWS Signature Version 4).
// The checks are pure: no I/O, no HTTP handlers, the clock a parameter.
//
// This package holds the one shape their refusals take, so that the one
// error writer answers every refusal without a table or adapter per dialect.
package verify

// Refusal is a request refused by a check: the HTTP status to answer, a
// stable code that clients and dashboards match on, and a message that is
// safe to show to the client. A refusal never carries the secret, the
// expected signature or the credential it refused, so a refusal can go to
// a response body and a log as it is.
type Refusal struct {
	status  int
	code    string
	message string
}

// Refuse makes a refusal. Verifiers keep theirs as package-level sentinels
// where they can, so errors.Is works and no request data slips in.
func Refuse(status int, code, message string) *Refusal {
	return &Refusal{status: status, code: code, message: message}
}

// Error is the public message.
func (r *Refusal) Error() string { return r.message }

// Status is the HTTP status the refusal is answered with.
func (r *Refusal) Status() int { return r.status }

// Code is the stable machine-readable reason.
func (r *Refusal) Code() string { return r.code }
