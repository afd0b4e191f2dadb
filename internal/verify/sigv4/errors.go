package sigv4

import (
	"fmt"
	"net/http"

	"github.com/signedgate/gateway/internal/verify"
)

// The S3 error codes this package answers with. SDKs map them to their
// usual exceptions, so they are S3's, letter for letter.
const (
	CodeAccessDenied                      = "AccessDenied"
	CodeAuthorizationHeaderMalformed      = "AuthorizationHeaderMalformed"
	CodeAuthorizationQueryParametersError = "AuthorizationQueryParametersError"
	CodeIncompleteBody                    = "IncompleteBody"
	CodeInvalidAccessKeyID                = "InvalidAccessKeyId"
	CodeInvalidArgument                   = "InvalidArgument"
	CodeInvalidRequest                    = "InvalidRequest"
	CodeInvalidToken                      = "InvalidToken"
	CodeRequestTimeTooSkewed              = "RequestTimeTooSkewed"
	CodeSignatureDoesNotMatch             = "SignatureDoesNotMatch"
	CodeXAmzContentSHA256Mismatch         = "XAmzContentSHA256Mismatch"
)

// Sentinel refusals, so callers can match them with errors.Is. Refusals
// that name a request's value (a missing parameter, a wrong region) are
// made per request and matched by Code.
var (
	// ErrNoAuth: the request carries no authentication at all. The
	// endpoint decides whether anonymous access is allowed; if not, this is
	// S3's answer to it.
	ErrNoAuth = verify.Refuse(http.StatusForbidden, CodeAccessDenied, "Access Denied")

	// ErrInvalidAccessKeyID is for the endpoint: Parse cannot know which
	// keys exist.
	ErrInvalidAccessKeyID = verify.Refuse(http.StatusForbidden, CodeInvalidAccessKeyID,
		"The AWS Access Key Id you provided does not exist in our records.")

	ErrSignatureDoesNotMatch = verify.Refuse(http.StatusForbidden, CodeSignatureDoesNotMatch,
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.")

	ErrExpired = verify.Refuse(http.StatusForbidden, CodeAccessDenied, "Request has expired")

	ErrNotYetValid = verify.Refuse(http.StatusForbidden, CodeAccessDenied, "Request is not valid yet")

	ErrRequestTimeTooSkewed = verify.Refuse(http.StatusForbidden, CodeRequestTimeTooSkewed,
		"The difference between the request time and the current time is too large.")

	ErrExpiresTooLong = verify.Refuse(http.StatusBadRequest, CodeAuthorizationQueryParametersError,
		"X-Amz-Expires must be less than a week (in seconds) that is 604800")

	ErrTwoAuthMechanisms = verify.Refuse(http.StatusBadRequest, CodeInvalidArgument,
		"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")

	// ErrUnsupportedMechanism: signature version 2, or any scheme other
	// than AWS4-HMAC-SHA256 (SigV4a's ECDSA included).
	ErrUnsupportedMechanism = verify.Refuse(http.StatusBadRequest, CodeInvalidRequest,
		"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")

	// ErrSecurityToken: temporary credentials (STS session tokens) are an
	// AWS account feature; the gateway's access keys are long-lived and
	// revoked by deleting them, so a token can only be a client configured
	// for AWS itself.
	ErrSecurityToken = verify.Refuse(http.StatusBadRequest, CodeInvalidToken,
		"The provided token is malformed or otherwise invalid: this gateway issues no temporary credentials (X-Amz-Security-Token); sign with one of its access keys")

	ErrMissingDate = verify.Refuse(http.StatusForbidden, CodeAccessDenied,
		"AWS authentication requires a valid Date or x-amz-date header")

	ErrMissingContentSHA256 = verify.Refuse(http.StatusBadRequest, CodeInvalidRequest,
		"Missing required header for this request: x-amz-content-sha256")

	ErrInvalidContentSHA256 = verify.Refuse(http.StatusBadRequest, CodeInvalidArgument,
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")

	ErrContentSHA256NotSigned = verify.Refuse(http.StatusBadRequest, CodeInvalidRequest,
		"header 'x-amz-content-sha256' must be included in signature")

	ErrHeadersNotSigned = verify.Refuse(http.StatusForbidden, CodeAccessDenied,
		"There were headers present in the request which were not signed")

	ErrInvalidQuery = verify.Refuse(http.StatusBadRequest, CodeInvalidArgument,
		"The query string is not correctly percent-encoded")

	ErrContentSHA256Mismatch = verify.Refuse(http.StatusBadRequest, CodeXAmzContentSHA256Mismatch,
		"The provided 'x-amz-content-sha256' header does not match what was computed.")

	ErrIncompleteBody = verify.Refuse(http.StatusBadRequest, CodeIncompleteBody,
		"You did not provide the number of bytes specified by the Content-Length HTTP header")
)

// Mismatch is a wrong signature with what the gateway signed, for the debug
// answer S3 gives (its StringToSign and CanonicalRequest elements). It never
// holds the expected signature or the secret: with the string to sign a
// client finds its own mistake, but the expected signature would make the
// gateway a signing oracle.
type Mismatch struct {
	StringToSign, CanonicalRequest string
}

func (m *Mismatch) Error() string { return ErrSignatureDoesNotMatch.Error() }
func (m *Mismatch) Unwrap() error { return ErrSignatureDoesNotMatch }
func (m *Mismatch) Status() int   { return ErrSignatureDoesNotMatch.Status() }
func (m *Mismatch) Code() string  { return ErrSignatureDoesNotMatch.Code() }

// queryError is a malformed presigned URL: S3 answers 400
// AuthorizationQueryParametersError.
func queryError(format string, args ...any) *verify.Refusal {
	return verify.Refuse(http.StatusBadRequest, CodeAuthorizationQueryParametersError, fmt.Sprintf(format, args...))
}

// headerError is a malformed Authorization header (400).
func headerError(format string, args ...any) *verify.Refusal {
	return verify.Refuse(http.StatusBadRequest, CodeAuthorizationHeaderMalformed,
		"The authorization header is malformed; "+fmt.Sprintf(format, args...))
}

// malformed picks the presigned or the header flavour of a refusal.
func malformed(presigned bool, format string, args ...any) *verify.Refusal {
	if presigned {
		return queryError(format, args...)
	}
	return headerError(format, args...)
}
