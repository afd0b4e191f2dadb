package upload

import (
	"net/http"

	"github.com/signedgate/gateway/internal/apierr"
)

// Refusals of the upload endpoint are *apierr.Error values (and the
// *verify.Refusal values of uploadsig), written by the one error writer in
// Cloudinary's dialect, {"error":{"message":"..."}}, instead of the
// gateway's {"message","code"}: the SDKs parse that body and show the
// message to their users. Statuses are among 400, 401, 404, 420, 429 and
// 500: the Node SDK reads the JSON message only for those.

func badRequest(format string, args ...any) *apierr.Error {
	return apierr.New(http.StatusBadRequest, apierr.CodeInvalidData, format, args...)
}

func unauthorized(format string, args ...any) *apierr.Error {
	return apierr.New(http.StatusUnauthorized, apierr.CodeUnauthorized, format, args...)
}

func notFound(format string, args ...any) *apierr.Error {
	return apierr.NotFound(format, args...)
}

func internal(cause error) *apierr.Error {
	return apierr.Wrap(cause, http.StatusInternalServerError, apierr.CodeInternal, internalMessage)
}

const internalMessage = "Internal error; the request id in X-Request-Id identifies it in the log"

func missingParam(name string) *apierr.Error {
	return badRequest("Missing required parameter - %s", name)
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// cloudinaryBody is an error as Cloudinary's SDKs read it.
func cloudinaryBody(e *apierr.Error) any {
	var body errorBody
	body.Error.Message = e.Message
	if e.Code == apierr.CodeInternal {
		body.Error.Message = internalMessage
	}
	return body
}

// writeError answers with err in Cloudinary's dialect.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	apierr.WriteAs(w, r, err, cloudinaryBody)
}
