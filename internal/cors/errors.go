package cors

import (
	"fmt"
	"net/http"
)

// Stable codes of this package's refusals.
const (
	// CodeInvalid: a rule given to the admin API cannot be accepted (400).
	CodeInvalid = "INVALID_CORS"
	// CodeNotAllowed: a preflight is not granted (403), as S3 answers
	// "CORSResponse: This CORS request is not allowed".
	CodeNotAllowed = "CORS_NOT_ALLOWED"
)

// Error is a refusal with an HTTP status, a stable code and a message safe
// to show: the gateway's error writer answers it as it is (it is a
// server.Coded).
type Error struct {
	status  int
	code    string
	message string
}

func (e *Error) Error() string { return e.message }

// Status is the HTTP status of the answer.
func (e *Error) Status() int { return e.status }

// Code is the stable code of the answer.
func (e *Error) Code() string { return e.code }

func invalid(format string, args ...any) *Error {
	return &Error{status: http.StatusBadRequest, code: CodeInvalid, message: fmt.Sprintf(format, args...)}
}

func notAllowed(message string) *Error {
	return &Error{status: http.StatusForbidden, code: CodeNotAllowed, message: message}
}
