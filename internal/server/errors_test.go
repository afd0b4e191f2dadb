package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
