package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Error codes reported in a failed task's "code" field. They are part of the
// public API: clients switch on them, so never rename one.
const (
	// CodeUnsupportedConversion: no installed engine does this
	// (operation, input, output), or the engine that would is not installed.
	CodeUnsupportedConversion = "UNSUPPORTED_CONVERSION"
	// CodeInvalidInput: the input file or a task option is wrong; retrying
	// the same job will fail the same way.
	CodeInvalidInput = "INVALID_INPUT"
	// CodeTooLarge: the input or the requested output exceeds a limit.
	CodeTooLarge = "TOO_LARGE"
	// CodeTimeout: the task's deadline passed.
	CodeTimeout = "TIMEOUT"
	// CodeConversionFailed: the engine failed for a reason that is not the
	// user's fault (a crash, a full disk). It is the default for errors
	// that carry no code.
	CodeConversionFailed = "CONVERSION_FAILED"
)

// Error is an engine failure with a stable code and a message that is safe to
// show to the user who submitted the job. The wrapped cause may hold paths
// and program output, so it appears in Error() (for logs) but not in Message().
type Error struct {
	code string
	msg  string
	err  error
}

// Errorf returns an *Error whose public message is formatted from format and
// args. It keeps no cause; use Wrap for that.
func Errorf(code, format string, args ...any) *Error {
	return &Error{code: code, msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a public message and a private cause, which
// shows in Error() for logs and is reachable with errors.Is and errors.As.
func Wrap(code string, cause error, message string) *Error {
	return &Error{code: code, msg: message, err: cause}
}

func (e *Error) Code() string    { return e.code }
func (e *Error) Message() string { return e.msg }
func (e *Error) Unwrap() error   { return e.err }

func (e *Error) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}

// Status is the HTTP status a job that failed with this error is answered
// with: client mistakes are 4xx so that clients do not retry them.
func (e *Error) Status() int {
	switch e.code {
	case CodeInvalidInput, CodeUnsupportedConversion:
		return http.StatusUnprocessableEntity
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeTimeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// AsError returns err as an *Error, giving errors without a code one: TIMEOUT
// for an expired deadline, otherwise CONVERSION_FAILED with a generic message
// (the cause's text is not shown, since it may hold paths or program output).
// It returns nil for a nil err.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Wrap(CodeTimeout, err, "the conversion took too long")
	}
	if errors.Is(err, context.Canceled) {
		return Wrap(CodeConversionFailed, err, "the conversion was cancelled")
	}
	return Wrap(CodeConversionFailed, err, "the conversion failed")
}

// CodeOf returns the code AsError would give err, or "" for nil.
func CodeOf(err error) string {
	if e := AsError(err); e != nil {
		return e.code
	}
	return ""
}

// ContextError is what an engine returns when it notices ctx is done.
func ContextError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return AsError(err)
	}
	return nil
}
