package jobs

import (
	"errors"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/server"
)

// Task error codes. They are public: clients switch on them.
const (
	// CodeInputTaskFailed marks a task that did not run because a task it
	// reads from failed.
	CodeInputTaskFailed = "INPUT_TASK_FAILED"
	// CodeUnsupportedOperation: the operation exists in the API but this
	// gateway does not run it (watermark, import/s3, ...).
	CodeUnsupportedOperation = "UNSUPPORTED_OPERATION"
	CodeUnsupportedConv      = engine.CodeUnsupportedConversion
	CodeInvalidInput         = engine.CodeInvalidInput
	CodeTooLarge             = engine.CodeTooLarge
	CodeTimeout              = engine.CodeTimeout
	CodeConversionFailed     = engine.CodeConversionFailed
	// CodeCancelled: the gateway shut down while the job ran.
	CodeCancelled = "CANCELLED"
	// CodeJobLost: the job's state is gone (it expired, or the shared
	// store lost its data); nothing tells whether it ran. Retrying is safe.
	CodeJobLost = "JOB_LOST"
	// CodeTooManyAttempts: the job was begun as many times as it may be,
	// each time on a worker that stopped answering while it ran (a file
	// that crashes its engine, say); it is not tried again.
	CodeTooManyAttempts = "TOO_MANY_ATTEMPTS"
	// CodeInternal: the gateway failed (output store down, a bug).
	CodeInternal = "INTERNAL_ERROR"
	// CodeInsufficientStorage: the gateway's disk is full; nothing of the
	// job was kept, and it may succeed later.
	CodeInsufficientStorage = server.CodeInsufficientStorage

	// The codes of import/s3 and export/s3 for what the bucket's server
	// answered: it refused the credentials or the access, the bucket or
	// the object does not exist, or the bucket takes no ACL. The object
	// code is the one a bucket origin answers for a missing object.
	CodeAccessDenied    = "ACCESS_DENIED"
	CodeBucketNotFound  = "BUCKET_NOT_FOUND"
	CodeObjectNotFound  = "OBJECT_NOT_FOUND"
	CodeACLNotSupported = "ACL_NOT_SUPPORTED"
)

// inputFault lists the codes that blame the job or what it imports.
var inputFault = map[string]bool{
	CodeUnsupportedOperation:            true,
	CodeUnsupportedConv:                 true,
	CodeInvalidInput:                    true,
	CodeTooLarge:                        true,
	string(fetch.CodeInvalidURL):        true,
	string(fetch.CodeUnsupportedScheme): true,
	string(fetch.CodeForbiddenAddress):  true,
	string(fetch.CodeTooManyRedirects):  true,
	string(fetch.CodeUpstreamStatus):    true,
	string(fetch.CodeFetchFailed):       true,
	CodeAccessDenied:                    true,
	CodeBucketNotFound:                  true,
	CodeObjectNotFound:                  true,
	CodeACLNotSupported:                 true,
	CodeTooManyAttempts:                 true,
}

// taskError is a failed task's public code and message, with a private
// cause for the log.
type taskError struct {
	code, msg string
	cause     error
}

func (e *taskError) Error() string {
	if e.cause != nil {
		return e.code + ": " + e.msg + ": " + e.cause.Error()
	}
	return e.code + ": " + e.msg
}

func (e *taskError) Unwrap() error { return e.cause }

func failf(code, msg string, cause error) *taskError {
	return &taskError{code: code, msg: msg, cause: cause}
}

// diskFull is te, or, when a full disk caused it, the failure that says so.
func diskFull(te *taskError) *taskError {
	if te == nil || te.code == CodeInsufficientStorage || !server.DiskFull(te) {
		return te
	}
	return &taskError{code: CodeInsufficientStorage, msg: "the gateway's disk is full; retry later", cause: te}
}

// asTaskError turns any error a task returned into a code and a message
// that is safe to show: fetch and engine errors keep their own, anything
// else is the gateway's fault and says only that.
func asTaskError(err error) *taskError {
	var te *taskError
	if errors.As(err, &te) {
		return te
	}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		code := string(fe.Code())
		if fe.Code() == fetch.CodeWriteFailed {
			code = CodeInternal
		}
		return &taskError{code: code, msg: fe.Error(), cause: errors.Unwrap(fe)}
	}
	var ee *engine.Error
	if errors.As(err, &ee) {
		return &taskError{code: ee.Code(), msg: ee.Message(), cause: ee.Unwrap()}
	}
	if ee := engine.AsError(err); ee.Code() == CodeTimeout {
		return &taskError{code: CodeTimeout, msg: "the task took too long", cause: err}
	}
	return &taskError{code: CodeInternal, msg: "the gateway failed to run the task", cause: err}
}
