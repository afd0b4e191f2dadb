package jobspec

import (
	"errors"
	"fmt"
	"net/http"
)

// CodeInvalidData is the stable code for every refusal of a job payload,
// whether it is bad JSON or a bad task graph.
const CodeInvalidData = "INVALID_DATA"

// ErrInvalidData matches every *Error with errors.Is.
var ErrInvalidData = errors.New("invalid job")

// Error says what is wrong with a job in words meant for whoever wrote the
// job; it names the task when one is at fault.
type Error struct {
	Task    string // empty when the fault is not in one task
	Message string
}

func (e *Error) Error() string {
	if e.Task != "" {
		return fmt.Sprintf("task %q: %s", e.Task, e.Message)
	}
	return e.Message
}

// Code is the stable machine-readable reason.
func (e *Error) Code() string { return CodeInvalidData }

// Status is the HTTP status a refused job is answered with.
func (e *Error) Status() int { return http.StatusBadRequest }

func (e *Error) Unwrap() error { return ErrInvalidData }

func errorf(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

func taskErrorf(task, format string, args ...any) error {
	return &Error{Task: task, Message: fmt.Sprintf(format, args...)}
}
