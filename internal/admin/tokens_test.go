package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// router serves one admin call behind tokens.
func router(tokens TokenChecker) *http.ServeMux {
	mux := http.NewServeMux()
	NewRouterWith(mux, tokens, 1<<10).Handle("GET /v1/ping", func(w http.ResponseWriter, r *http.Request) error {
		w.Write([]byte("pong"))
		return nil
	})
	return mux
}

func status(mux *http.ServeMux, authorization string) int {
	req := httptest.NewRequest("GET", "/v1/ping", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	return w.Code
}

func TestRouterAdmitsEveryTokenOfTheSet(t *testing.T) {
	const (
		oldToken = "old-admin-token-0123456789"
		newToken = "new-admin-token-9876543210"
		third    = "third-admin-token-abcdefgh"
	)
	tokens := NewTokens(oldToken, newToken, third, newToken)
	if tokens.Len() != 3 {
		t.Errorf("Len: got %d, want 3 (the repeated token counts once)", tokens.Len())
	}
	mux := router(tokens)
	for _, tok := range []string{oldToken, newToken, third} {
		if got := status(mux, "Bearer "+tok); got != 200 {
			t.Errorf("token %q: got %d, want 200", tok, got)
		}
		if got := status(mux, "bearer  "+tok+" "); got != 200 {
			t.Errorf("token %q, lower-case scheme and spaces: got %d, want 200", tok, got)
		}
	}
	for _, auth := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Bearer other-admin-token-0123456789",
		"Bearer " + oldToken[:len(oldToken)-1],
		"Bearer " + oldToken + "x",
		"Bearer " + oldToken + "," + newToken,
		"Bearer " + strings.ToUpper(oldToken),
		"Basic " + oldToken,
		oldToken,
	} {
		if got := status(mux, auth); got != 401 {
			t.Errorf("Authorization %q: got %d, want 401", auth, got)
		}
	}

	// Rotation: the set is replaced while the router serves.
	tokens.Set([]string{newToken})
	if got := status(mux, "Bearer "+oldToken); got != 401 {
		t.Errorf("the removed token: got %d, want 401", got)
	}
	if got := status(mux, "Bearer "+newToken); got != 200 {
		t.Errorf("the kept token: got %d, want 200", got)
	}

	// An empty set admits nothing, not even an empty token.
	tokens.Set(nil)
	for _, auth := range []string{"Bearer " + newToken, "Bearer  "} {
		if got := status(mux, auth); got != 401 {
			t.Errorf("empty set, Authorization %q: got %d, want 401", auth, got)
		}
	}
}

func TestNewRouterAdmitsItsOneToken(t *testing.T) {
	mux := http.NewServeMux()
	NewRouter(mux, "the-only-admin-token-01", 1<<10).Handle("GET /v1/ping", func(w http.ResponseWriter, r *http.Request) error {
		return nil
	})
	if got := status(mux, "Bearer the-only-admin-token-01"); got != 200 {
		t.Errorf("its token: got %d, want 200", got)
	}
	if got := status(mux, "Bearer the-only-admin-token-02"); got != 401 {
		t.Errorf("another token: got %d, want 401", got)
	}
}
