package urlsig

import "net/http"

// Codes are stable strings for response bodies and metrics; clients and
// dashboards match on them, so they never change once published.
const (
	CodeMissingSignature = "MISSING_SIGNATURE"
	CodeInvalidSignature = "INVALID_SIGNATURE"
	CodeInvalidData      = "INVALID_DATA"
	CodeNoSecret         = "NO_SECRET"
)

// Error is a refusal with a stable code and a message that is safe to show
// to the client: it never contains the secret, the expected signature or
// any internal detail.
type Error struct {
	code    string
	status  int
	message string
}

func (e *Error) Error() string { return e.message }

// Code is the stable machine-readable reason.
func (e *Error) Code() string { return e.code }

// Status is the HTTP status the refusal should be answered with, so the one
// function that writes error responses needs no table of its own.
func (e *Error) Status() int { return e.status }

// Sentinels are returned as they are (never wrapped with detail), so
// errors.Is works and nothing internal reaches a response body.
var (
	ErrMissingSignature   = &Error{CodeMissingSignature, http.StatusForbidden, "missing signature parameter s"}
	ErrDuplicateSignature = &Error{CodeInvalidSignature, http.StatusForbidden, "signature parameter s given more than once"}
	ErrMalformedSignature = &Error{CodeInvalidSignature, http.StatusForbidden, "signature parameter s must be 64 hex characters"}
	ErrInvalidSignature   = &Error{CodeInvalidSignature, http.StatusForbidden, "invalid signature"}

	ErrMissingJob        = &Error{CodeInvalidData, http.StatusBadRequest, "missing job parameter"}
	ErrDuplicateJob      = &Error{CodeInvalidData, http.StatusBadRequest, "job parameter given more than once"}
	ErrDuplicateCacheKey = &Error{CodeInvalidData, http.StatusBadRequest, "cache_key parameter given more than once"}
	ErrInvalidCacheKey   = &Error{CodeInvalidData, http.StatusBadRequest, "cache_key may contain only A-Z, a-z, 0-9, _ and -"}
	ErrInvalidJob        = &Error{CodeInvalidData, http.StatusBadRequest, "job parameter is not valid base64"}

	// ErrNoSecret is a configuration fault, not the client's: a base with no
	// usable secret must refuse everything rather than accept anything.
	ErrNoSecret = &Error{CodeNoSecret, http.StatusInternalServerError, "no signing secret configured"}
)
