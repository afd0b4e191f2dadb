package signedurl

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateGenerated(t *testing.T) {
	h := newHarness(t, false)
	b := h.createBase(t, map[string]string{"name": "invoices"})
	if !uuidV4.MatchString(b.ID) {
		t.Errorf("id %q is not a UUID v4", b.ID)
	}
	if len(b.Secret) != 32 || !regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(b.Secret) {
		t.Errorf("secret %q: want 32 letters and digits", b.Secret)
	}
	if b.Base != h.srv.URL+"/"+b.ID || b.Name != "invoices" || b.Created.IsZero() {
		t.Errorf("got %+v", b)
	}
	// The secret is shown once.
	var one struct {
		Base Base `json:"signed_url_base"`
	}
	if code := h.admin(t, "GET", "/v1/signed-url-bases/"+b.ID, nil, &one); code != 200 || one.Base.Secret != "" || one.Base.Base != b.Base {
		t.Errorf("get: %d %+v", code, one.Base)
	}
	var all struct {
		Bases []Base `json:"signed_url_bases"`
	}
	if code := h.admin(t, "GET", "/v1/signed-url-bases", nil, &all); code != 200 || len(all.Bases) != 1 || all.Bases[0].Secret != "" {
		t.Errorf("list: %d %+v", code, all.Bases)
	}
	other := h.createBase(t, nil)
	if other.ID == b.ID || other.Secret == b.Secret {
		t.Error("two generated bases share an id or a secret")
	}
}

func TestCreateValidation(t *testing.T) {
	h := newHarness(t, false)
	h.createBase(t, map[string]string{"id": "taken", "base": "https://cdn.example/conv/a", "signing_secret": testSecret})
	tests := []struct {
		name   string
		req    map[string]string
		status int
	}{
		{"id with slash", map[string]string{"id": "a/b"}, 400},
		{"id too long", map[string]string{"id": strings.Repeat("a", 65)}, 400},
		{"short secret", map[string]string{"signing_secret": "short"}, 400},
		{"relative base", map[string]string{"base": "/conv"}, 400},
		{"ftp base", map[string]string{"base": "ftp://h/conv"}, 400},
		{"base with query", map[string]string{"base": "https://h/conv?x=1"}, 400},
		{"base with empty query", map[string]string{"base": "https://h/conv?"}, 400},
		{"base with fragment", map[string]string{"base": "https://h/conv#x"}, 400},
		{"base without path", map[string]string{"base": "https://h"}, 400},
		{"base with root path", map[string]string{"base": "https://h/"}, 400},
		{"base with credentials", map[string]string{"base": "https://u:p@h/conv"}, 400},
		{"reserved /v1", map[string]string{"base": "https://h/v1/x"}, 400},
		{"reserved /media", map[string]string{"base": "https://h/media"}, 400},
		{"reserved /outputs", map[string]string{"base": "https://h/outputs/a"}, 400},
		{"reserved /healthz", map[string]string{"base": "https://h/healthz"}, 400},
		{"reserved /metrics", map[string]string{"base": "https://h/metrics"}, 400},
		{"reserved /v1_1", map[string]string{"base": "https://h/v1_1/c"}, 400},
		{"unknown field", map[string]string{"secret": testSecret}, 400},
		{"same id", map[string]string{"id": "taken"}, 409},
		{"same path on another host", map[string]string{"base": "http://other.example/conv/a"}, 409},
		{"similar path is fine", map[string]string{"base": "https://cdn.example/conv/ab"}, 201},
		{"/v10 is not /v1", map[string]string{"base": "https://h/v10"}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ Message, Code string }
			code := h.admin(t, "POST", "/v1/signed-url-bases", tt.req, &out)
			if code != tt.status {
				t.Errorf("got %d %+v, want %d", code, out, tt.status)
			}
			if code >= 400 && (out.Message == "" || out.Code == "") {
				t.Errorf("refusal without message or code: %+v", out)
			}
		})
	}
}

func TestDeleteFreesPath(t *testing.T) {
	h := newHarness(t, false)
	b := h.createBase(t, map[string]string{"id": "gone", "signing_secret": testSecret})
	u := strings.Replace(b.Base, "gone", "gone", 1) + "?job=x&s=" + strings.Repeat("0", 64)
	if a := get(t, "GET", u); a.status != http.StatusForbidden {
		t.Fatalf("before delete: %d %s", a.status, a.body)
	}
	if code := h.admin(t, "DELETE", "/v1/signed-url-bases/gone", nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if a := get(t, "GET", u); a.status != http.StatusNotFound {
		t.Errorf("after delete: %d %s, want 404", a.status, a.body)
	}
	if code := h.admin(t, "DELETE", "/v1/signed-url-bases/gone", nil, nil); code != 404 {
		t.Errorf("second delete: %d, want 404", code)
	}
	// The path is free again.
	h.createBase(t, map[string]string{"id": "again", "base": b.Base})
	if code := h.admin(t, "GET", "/v1/signed-url-bases/nope", nil, nil); code != 404 {
		t.Errorf("get unknown: %d", code)
	}
	if code := h.admin(t, "GET", "/v1/signed-url-bases", nil, nil); code != 200 {
		t.Errorf("list: %d", code)
	}
}

func TestAdminNeedsToken(t *testing.T) {
	h := newHarness(t, false)
	for _, m := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(m, h.srv.URL+"/v1/signed-url-bases", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without token: %d", m, resp.StatusCode)
		}
	}
}
