package urlsig

import (
	"net/http"

	"github.com/signedgate/gateway/internal/verify"
)

// Codes are stable strings for response bodies and metrics; clients and
// dashboards match on them, so they never change once published.
const (
	CodeMissingSignature = "MISSING_SIGNATURE"
	CodeInvalidSignature = "INVALID_SIGNATURE"
	CodeInvalidData      = "INVALID_DATA"
	CodeNoSecret         = "NO_SECRET"
)

// Refusals are *verify.Refusal sentinels, returned as they are (never wrapped with detail), so
// errors.Is works and nothing internal reaches a response body.
var (
	ErrMissingSignature   = verify.Refuse(http.StatusForbidden, CodeMissingSignature, "missing signature parameter s")
	ErrDuplicateSignature = verify.Refuse(http.StatusForbidden, CodeInvalidSignature, "signature parameter s given more than once")
	ErrMalformedSignature = verify.Refuse(http.StatusForbidden, CodeInvalidSignature, "signature parameter s must be 64 hex characters")
	ErrInvalidSignature   = verify.Refuse(http.StatusForbidden, CodeInvalidSignature, "invalid signature")

	ErrMissingJob        = verify.Refuse(http.StatusBadRequest, CodeInvalidData, "missing job parameter")
	ErrDuplicateJob      = verify.Refuse(http.StatusBadRequest, CodeInvalidData, "job parameter given more than once")
	ErrDuplicateCacheKey = verify.Refuse(http.StatusBadRequest, CodeInvalidData, "cache_key parameter given more than once")
	ErrInvalidCacheKey   = verify.Refuse(http.StatusBadRequest, CodeInvalidData, "cache_key may contain only A-Z, a-z, 0-9, _ and -")
	ErrInvalidJob        = verify.Refuse(http.StatusBadRequest, CodeInvalidData, "job parameter is not valid base64")

	// ErrNoSecret is a configuration fault, not the client's: a base with no
	// usable secret must refuse everything rather than accept anything.
	ErrNoSecret = verify.Refuse(http.StatusInternalServerError, CodeNoSecret, "no signing secret configured")
)
