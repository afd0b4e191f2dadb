package uploadsig

import (
	"fmt"
	"net/http"

	"github.com/signedgate/gateway/internal/verify"
)

// Refusals are *verify.Refusal values whose messages are safe to show to
// the client verbatim; users debug their signing code with them, so they
// match Cloudinary's text. A malformed request (a missing, unparsable or
// stale parameter) is a 400; a well-formed one not signed by the holder of
// the secret is a 401: the two statuses for which the Node SDK reads the
// JSON error message.
const (
	CodeInvalidData      = "INVALID_DATA"
	CodeInvalidSignature = "INVALID_SIGNATURE"
)

func badRequest(message string) *verify.Refusal {
	return verify.Refuse(http.StatusBadRequest, CodeInvalidData, message)
}

func missingParam(name string) *verify.Refusal {
	return badRequest("Missing required parameter - " + name)
}

// invalidSignature names the version 2 string the server expected to be
// signed, without the secret.
func invalidSignature(sent, stringToSign string) *verify.Refusal {
	return verify.Refuse(http.StatusUnauthorized, CodeInvalidSignature,
		fmt.Sprintf("Invalid Signature %s. String to sign - '%s'.", sent, stringToSign))
}
