package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/signedgate/gateway/internal/reqctx"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Error is a refusal in Cloudinary's dialect: {"error":{"message":"..."}}.
// The upload endpoint speaks it instead of the gateway's {"message","code"}
// body because the SDKs parse it and show the message to their users.
type Error struct {
	// Status is one of 400, 401, 404, 420, 429 or 500: the Node SDK reads
	// the JSON message only for those.
	Status  int
	Message string
	Cause   error // for the log, never sent
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func unauthorized(format string, args ...any) *Error {
	return &Error{Status: http.StatusUnauthorized, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Message: fmt.Sprintf(format, args...)}
}

func internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError,
		Message: "Internal error; the request id in X-Request-Id identifies it in the log", Cause: cause}
}

func missingParam(name string) *Error {
	return badRequest("Missing required parameter - %s", name)
}

// asError maps any error to the dialect: uploadsig refusals keep their
// exact message, anything unknown becomes a 500 that hides its cause.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *uploadsig.Error
	if errors.As(err, &se) {
		status := http.StatusBadRequest
		if se.Kind == uploadsig.Unauthorized {
			status = http.StatusUnauthorized
		}
		return &Error{Status: status, Message: se.Message}
	}
	return internal(err)
}

type errorBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with err in Cloudinary's dialect and logs it.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	log := reqctx.Log(r)
	if e.Status >= 500 {
		log.Error("upload failed", "status", e.Status, "err", err)
	} else {
		log.Debug("upload refused", "status", e.Status, "msg", e.Message, "cause", e.Cause)
	}
	var body errorBody
	body.Error.Message = e.Message
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"message":"Internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
