package token

import (
	"net/http"

	"github.com/signedgate/gateway/internal/verify"
)

// Verify refuses with these *verify.Refusal sentinels, so callers compare
// with errors.Is or read the code after errors.As. They are shared and never
// carry request data: an error built from the token would risk echoing a
// secret into a log or response body. Their messages say what went wrong
// without echoing the token; their codes are lower case, as bucket delivery
// has always answered them.
var (
	ErrTokenMissing = verify.Refuse(http.StatusUnauthorized, "token_missing",
		"this bucket needs a token: add ?auth=<token> to the URL")
	ErrMalformed = verify.Refuse(http.StatusForbidden, "malformed_token",
		"the token is not a well-formed RS256 JWT")
	ErrUnknownKey = verify.Refuse(http.StatusForbidden, "unknown_key",
		"the token's kid names no live signing key (missing, deleted, or of a deleted bucket)")
	ErrWrongBucket = verify.Refuse(http.StatusForbidden, "wrong_bucket",
		"the token's signing key belongs to another bucket")
	ErrBadAlgorithm = verify.Refuse(http.StatusForbidden, "bad_algorithm",
		"the token's alg is not RS256, the only algorithm of delivery keys")
	ErrOutOfScope = verify.Refuse(http.StatusForbidden, "out_of_scope",
		"the token's uri does not cover this path")
	ErrExpired = verify.Refuse(http.StatusForbidden, "expired",
		"the token has expired")
	ErrNotYetValid = verify.Refuse(http.StatusForbidden, "not_yet_valid",
		"the token is not valid yet (nbf)")
	ErrBadSignature = verify.Refuse(http.StatusForbidden, "bad_signature",
		"the token's signature does not verify")
)
