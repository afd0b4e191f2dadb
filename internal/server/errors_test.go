package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"
)

func TestWriteAnswersEveryShape(t *testing.T) {
	refusal := verify.Refuse(http.StatusForbidden, "INVALID_SIGNATURE", "invalid signature")
	tests := []struct {
		name string
		err  error
		want string
		code int
	}{
		{"own error", Errorf(http.StatusConflict, CodeConflict, "taken"), `{"message":"taken","code":"CONFLICT"}`, 409},
		{"wrapped own error", fmt.Errorf("create: %w", Invalid("bad name")), `{"message":"bad name","code":"INVALID_DATA"}`, 400},
		{"a verifier's refusal", fmt.Errorf("check: %w", refusal), `{"message":"invalid signature","code":"INVALID_SIGNATURE"}`, 403},
		{"anything else hides its text", errors.New("dial tcp 10.0.0.1: secret detail"),
			`{"message":"internal error; the request id in X-Request-Id identifies it in the log","code":"INTERNAL_ERROR"}`, 500},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		WriteError(w, httptest.NewRequest("GET", "/", nil), tt.err)
		if got := strings.TrimSpace(w.Body.String()); w.Code != tt.code || got != tt.want {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, w.Code, got, tt.code, tt.want)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tt.name)
		}
	}
}

func TestWriteErrorAsKeepsADialectsBody(t *testing.T) {
	w := httptest.NewRecorder()
	err := Invalid("Missing required parameter - file").WithHeader("Retry-After", "1")
	WriteErrorAs(w, httptest.NewRequest("POST", "/", nil), err, func(e *Error) any {
		return map[string]map[string]string{"error": {"message": e.Message}}
	})
	if got := strings.TrimSpace(w.Body.String()); w.Code != 400 || got != `{"error":{"message":"Missing required parameter - file"}}` {
		t.Errorf("got %d %s", w.Code, got)
	}
	if w.Header().Get("Retry-After") != "1" {
		t.Errorf("header lost: %v", w.Header())
	}
}

type temporaryErr struct{}

func (temporaryErr) Error() string             { return "the dependency is down; retry shortly" }
func (temporaryErr) Status() int               { return http.StatusServiceUnavailable }
func (temporaryErr) Code() string              { return CodeUnavailable }
func (temporaryErr) RetryAfter() time.Duration { return 1500 * time.Millisecond }

func TestTemporaryAndDiskFullErrors(t *testing.T) {
	e := AsError(fmt.Errorf("store: %w", temporaryErr{}))
	if e.Status != http.StatusServiceUnavailable || e.Header.Get("Retry-After") != "2" {
		t.Errorf("temporary: %d Retry-After %q; want 503 and 2", e.Status, e.Header.Get("Retry-After"))
	}
	full := &os.PathError{Op: "write", Path: "/data/records/x.json", Err: syscall.ENOSPC}
	e = AsError(fmt.Errorf("store record: %w", full))
	if e.Status != http.StatusInsufficientStorage || e.Code != CodeInsufficientStorage || strings.Contains(e.Message, "/data") {
		t.Errorf("disk full: %d %s %q; want 507 %s without the path", e.Status, e.Code, e.Message, CodeInsufficientStorage)
	}
	if e := AsError(errors.New("boom")); e.Status != http.StatusInternalServerError {
		t.Errorf("other errors: %d, want 500", e.Status)
	}
}
