package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Code is a stable, machine-readable reason for a failed fetch. Callers map
// it to API error codes and HTTP statuses; the strings never change.
type Code string

const (
	CodeInvalidURL        Code = "INVALID_URL"
	CodeUnsupportedScheme Code = "UNSUPPORTED_SCHEME"
	CodeForbiddenAddress  Code = "FORBIDDEN_ADDRESS"
	CodeTooManyRedirects  Code = "TOO_MANY_REDIRECTS"
	CodeTooLarge          Code = "TOO_LARGE"
	CodeUpstreamStatus    Code = "UPSTREAM_STATUS"
	CodeTimeout           Code = "TIMEOUT"
	CodeFetchFailed       Code = "FETCH_FAILED"
	// CodeWriteFailed means the download was fine but the caller's writer
	// failed; it is a local fault, not the remote server's.
	CodeWriteFailed Code = "WRITE_FAILED"
)

// Error is the only error type Fetch returns.
//
// Error() is written for the end user: it may name the URL's host but never
// a resolved IP address, a local path or a Go error string, because those
// would tell an attacker probing for SSRF what the network looks like. Log
// errors.Unwrap(err) for the underlying cause.
type Error struct {
	code   Code
	msg    string
	status int
	cause  error
}

func (e *Error) Error() string { return e.msg }

// Code returns the stable reason for the failure.
func (e *Error) Code() Code { return e.code }

// UpstreamStatus returns the remote HTTP status for CodeUpstreamStatus, else 0.
func (e *Error) UpstreamStatus() int { return e.status }

// Unwrap returns the underlying cause, for logs and errors.Is.
func (e *Error) Unwrap() error { return e.cause }

func newError(code Code, cause error, format string, args ...any) *Error {
	return &Error{code: code, msg: fmt.Sprintf(format, args...), cause: cause}
}

// forbiddenAddrError is returned from the dialer's Control hook. It travels
// up through net.OpError and url.Error and is recognised by classify.
type forbiddenAddrError struct {
	reason string
}

func (e *forbiddenAddrError) Error() string { return "address not allowed: " + e.reason }

// RetryableError tells clients that retry failed connections (the AWS SDK
// asks errors this) that this one would be refused again.
func (e *forbiddenAddrError) RetryableError() bool { return false }

// classify turns an error from http.Client.Do or the body copy into an
// *Error. host is the host of the URL being fetched when the error happened.
func classify(err error, host string) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	var fa *forbiddenAddrError
	if errors.As(err, &fa) {
		return newError(CodeForbiddenAddress, err,
			"fetching from %q is not allowed: it resolves to a non-public address", host)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return newError(CodeTimeout, err, "fetching from %q timed out", host)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return newError(CodeTimeout, err, "fetching from %q timed out", host)
	}
	if errors.Is(err, context.Canceled) {
		return newError(CodeFetchFailed, err, "fetching from %q was cancelled", host)
	}
	return newError(CodeFetchFailed, err, "fetching from %q failed", host)
}
