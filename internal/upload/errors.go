package upload

import (
	"net/http"

	"github.com/signedgate/gateway/internal/server"
)

// Refusals of the upload endpoint are *server.Error values (and the
// *verify.Refusal values of uploadsig), written by the one error writer in
// Cloudinary's dialect, {"error":{"message":"..."}}, instead of the
// gateway's {"message","code"}: the SDKs parse that body and show the
// message to their users. Statuses are among 400, 401, 404, 420, 429 and
// 500: the Node SDK reads the JSON message only for those.

func badRequest(format string, args ...any) *server.Error {
	return server.Errorf(http.StatusBadRequest, server.CodeInvalidData, format, args...)
}

func unauthorized(format string, args ...any) *server.Error {
	return server.Errorf(http.StatusUnauthorized, server.CodeUnauthorized, format, args...)
}

func notFound(format string, args ...any) *server.Error {
	return server.NotFound(format, args...)
}

func internal(cause error) *server.Error {
	return server.WrapError(cause, http.StatusInternalServerError, server.CodeInternal, internalMessage)
}

const internalMessage = "Internal error; the request id in X-Request-Id identifies it in the log"

func missingParam(name string) *server.Error {
	return badRequest("Missing required parameter - %s", name)
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// cloudinaryBody is an error as Cloudinary's SDKs read it.
func cloudinaryBody(e *server.Error) any {
	var body errorBody
	body.Error.Message = e.Message
	if e.Code == server.CodeInternal {
		body.Error.Message = internalMessage
	}
	return body
}

// writeError answers with err in Cloudinary's dialect.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	server.WriteErrorAs(w, r, err, cloudinaryBody)
}
