package token

import "net/http"

// Error is a refusal with a stable code and the HTTP status to answer.
// Verify returns the package's sentinel values, so callers may compare with
// errors.Is or read Code and Status after errors.As.
type Error struct {
	Code   string
	Status int
}

var _ error = (*Error)(nil)

func (e *Error) Error() string { return "token: " + e.Code }

// The sentinels are shared and never carry request data: an error built
// from the token would risk echoing a secret into a log or response body.
var (
	ErrTokenMissing = &Error{Code: "token_missing", Status: http.StatusUnauthorized}
	ErrMalformed    = &Error{Code: "malformed_token", Status: http.StatusForbidden}
	ErrUnknownKey   = &Error{Code: "unknown_key", Status: http.StatusForbidden}
	ErrWrongBucket  = &Error{Code: "wrong_bucket", Status: http.StatusForbidden}
	ErrBadAlgorithm = &Error{Code: "bad_algorithm", Status: http.StatusForbidden}
	ErrOutOfScope   = &Error{Code: "out_of_scope", Status: http.StatusForbidden}
	ErrExpired      = &Error{Code: "expired", Status: http.StatusForbidden}
	ErrNotYetValid  = &Error{Code: "not_yet_valid", Status: http.StatusForbidden}
	ErrBadSignature = &Error{Code: "bad_signature", Status: http.StatusForbidden}
)
