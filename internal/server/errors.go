package server

// This file owns the gateway's error contract: handlers return errors
// that carry an HTTP status, a stable machine-readable code and a public
// message, and one function (WriteError) turns any error into a response. Internal
// detail travels in the wrapped cause and goes to the log, never to the client.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// Error is an error with a public face.
type Error struct {
	Status  int    // HTTP status
	Code    string // stable code such as INVALID_DATA
	Message string // safe to show to the client
	Cause   error  // internal detail for the log; never sent
	// Header is added to the response (for example Retry-After or
	// Cache-Control on refusals).
	Header http.Header
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf makes an error with a status, code and public message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError keeps cause for the log behind a public status, code and message.
func WrapError(cause error, status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message, Cause: cause}
}

// WithHeader returns e with a response header added.
func (e *Error) WithHeader(key, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Add(key, value)
	return e
}

// Common codes shared by every part of the gateway.
const (
	CodeNotFound         = "NOT_FOUND"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodeUnauthorized     = "UNAUTHORIZED"
	CodeInvalidData      = "INVALID_DATA"
	CodeInvalidJSON      = "INVALID_JSON"
	CodeTooLarge         = "PAYLOAD_TOO_LARGE"
	CodeConflict         = "CONFLICT"
	CodeInternal         = "INTERNAL_ERROR"
	CodeUnavailable      = "SERVICE_UNAVAILABLE"
	// CodeInsufficientStorage: a write failed because the gateway's disk
	// is full; nothing was stored, and the same request may succeed later.
	CodeInsufficientStorage = "INSUFFICIENT_STORAGE"
)

// Shorthands for the most common refusals.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, CodeNotFound, format, args...)
}

func BadRequest(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}

func Invalid(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, CodeInvalidData, format, args...)
}

// Coded is an error that says how it is answered: an HTTP status, a stable
// code, and as its Error() a message that is safe to show to the client.
// The verifiers' refusals (verify.Refusal) and refused jobs are Coded, so
// WriteError answers them as they are, with no adapter per dialect.
type Coded interface {
	error
	Status() int
	Code() string
}

// Temporary is an error of a dependency that is down for a while (Redis, a
// disk): it says when to retry, and its source reports the outage in the
// log once, so requests answered with it are logged at debug level only.
// A Coded error that is also Temporary is answered with Retry-After.
type Temporary interface {
	error
	RetryAfter() time.Duration
}

// PublicError returns the *Error in err's chain, or the Coded error there as an
// *Error; false when err has no public face.
func PublicError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var c Coded
	if errors.As(err, &c) {
		e := &Error{Status: c.Status(), Code: c.Code(), Message: c.Error(), Cause: err}
		var t Temporary
		if errors.As(err, &t) {
			e.WithHeader("Retry-After", retryAfter(t.RetryAfter()))
		}
		return e, true
	}
	return nil, false
}

// DiskFull reports whether err comes from a write to a full disk (or a
// disk quota), which is answered 507 and may succeed later.
func DiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// AsError returns err's public face (see PublicError), or an internal error that
// hides err. A full disk is 507 INSUFFICIENT_STORAGE rather than a 500.
func AsError(err error) *Error {
	if e, ok := PublicError(err); ok {
		return e
	}
	if DiskFull(err) {
		return &Error{Status: http.StatusInsufficientStorage, Code: CodeInsufficientStorage,
			Message: "the gateway's disk is full; nothing was stored, retry later", Cause: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "internal error; the request id in X-Request-Id identifies it in the log", Cause: err}
}

// retryAfter is d in whole seconds, at least 1, as Retry-After wants it.
func retryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

// WriteError answers with err as JSON and logs it at a level chosen by status:
// server faults at error level with their cause, refusals at debug level.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteErrorAs(w, r, err, func(e *Error) any { return ErrorBody{Message: e.Message, Code: e.Code} })
}

// WriteErrorAs is WriteError with the body that body makes of the error: a dialect
// whose clients parse an error format of their own keeps it (Cloudinary's
// SDKs read {"error":{"message"}}), answered and logged like every other.
func WriteErrorAs(w http.ResponseWriter, r *http.Request, err error, body func(*Error) any) {
	WriteErrorWith(w, r, err, func(w http.ResponseWriter, e *Error) { WriteJSON(w, e.Status, body(e)) })
}

// WriteErrorWith is WriteError for a dialect whose errors are not JSON (S3's
// are XML): the error is logged and its headers set as for every other,
// then write answers with it.
func WriteErrorWith(w http.ResponseWriter, r *http.Request, err error, write func(http.ResponseWriter, *Error)) {
	e := AsError(err)
	log := Log(r)
	var temporary Temporary
	switch {
	case errors.As(err, &temporary):
		// Its source logs the outage once, not once per request.
		log.Debug("request failed: dependency unavailable", "status", e.Status, "code", e.Code, "err", err)
	case e.Status >= 500 && e.Status != http.StatusNotImplemented:
		// 501 is a refusal: the client asked for what is not offered.
		log.Error("request failed", "status", e.Status, "code", e.Code, "err", err)
	default:
		log.Debug("request refused", "status", e.Status, "code", e.Code, "msg", e.Message, "cause", e.Cause)
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	write(w, e)
}

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"message":"internal error","code":"INTERNAL_ERROR"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// HandlerFunc is an http handler that returns an error instead of writing it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs h and writes its error, if any, through WriteError.
func (h HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		WriteError(w, r, err)
	}
}
