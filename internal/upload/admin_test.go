package upload_test

import (
	"net/http"
	"regexp"
	"testing"
)

func TestAPIKeys(t *testing.T) {
	g := startGateway(t, nil)
	created := g.admin("POST", "/v1/api-keys", map[string]any{"cloud_name": "newcloud", "bucket": "uploads"}, http.StatusCreated)
	k, _ := created["api_key"].(map[string]any)
	key, _ := k["api_key"].(string)
	secret, _ := k["api_secret"].(string)
	if !regexp.MustCompile(`^[1-9][0-9]{14}$`).MatchString(key) {
		t.Errorf("generated key %q: want 15 digits", key)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{27}$`).MatchString(secret) {
		t.Errorf("generated secret: want 27 URL-safe characters, got %d characters", len(secret))
	}
	if k["cloud_name"] != "newcloud" || k["bucket"] != "uploads" || k["created"] == nil {
		t.Errorf("created: got %v", k)
	}

	one := g.admin("GET", "/v1/api-keys/"+key, nil, http.StatusOK)
	if got := one["api_key"].(map[string]any); got["api_secret"] != nil || got["api_key"] != key {
		t.Errorf("GET one: got %v, want the key without its secret", got)
	}
	list := g.admin("GET", "/v1/api-keys", nil, http.StatusOK)
	keys, _ := list["api_keys"].([]any)
	if len(keys) != 2 {
		t.Fatalf("list: got %v, want 2 keys", list)
	}
	for _, k := range keys {
		if k.(map[string]any)["api_secret"] != nil {
			t.Errorf("list shows a secret: %v", k)
		}
	}

	refusals := []struct {
		name string
		body map[string]any
		want int
	}{
		{"no cloud", map[string]any{"bucket": "uploads"}, 400},
		{"bad cloud", map[string]any{"cloud_name": "Bad Cloud", "bucket": "uploads"}, 400},
		{"reserved cloud", map[string]any{"cloud_name": "media", "bucket": "uploads"}, 400},
		{"no bucket", map[string]any{"cloud_name": "c"}, 400},
		{"unknown bucket", map[string]any{"cloud_name": "c", "bucket": "nope"}, 400},
		{"duplicate key", map[string]any{"cloud_name": "c", "bucket": "uploads", "api_key": testKey}, 409},
		{"bad secret", map[string]any{"cloud_name": "c", "bucket": "uploads", "api_secret": "a b"}, 400},
		{"unknown field", map[string]any{"cloud_name": "c", "bucket": "uploads", "secret": "x"}, 400},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) { g.admin("POST", "/v1/api-keys", tc.body, tc.want) })
	}

	g.admin("DELETE", "/v1/api-keys/"+key, nil, http.StatusOK)
	g.admin("GET", "/v1/api-keys/"+key, nil, http.StatusNotFound)
	g.admin("DELETE", "/v1/api-keys/"+key, nil, http.StatusNotFound)
}

func TestUploadPresets(t *testing.T) {
	g := startGateway(t, nil)
	g.admin("POST", "/v1/upload-presets", map[string]any{"name": "open", "cloud_name": testCloud, "bucket": "uploads",
		"unsigned": true, "folder": "incoming"}, http.StatusCreated)
	g.admin("POST", "/v1/upload-presets", map[string]any{"name": "closed", "cloud_name": testCloud, "bucket": "uploads"}, http.StatusCreated)
	g.admin("POST", "/v1/upload-presets", map[string]any{"name": "open", "cloud_name": testCloud, "bucket": "uploads"}, http.StatusConflict)
	g.admin("POST", "/v1/upload-presets", map[string]any{"name": "bad/name", "cloud_name": testCloud, "bucket": "uploads"}, http.StatusBadRequest)
	if got := g.admin("GET", "/v1/upload-presets", nil, http.StatusOK); len(got["upload_presets"].([]any)) != 2 {
		t.Errorf("list: got %v", got)
	}
	if got := g.admin("GET", "/v1/upload-presets/open", nil, http.StatusOK); got["upload_preset"].(map[string]any)["folder"] != "incoming" {
		t.Errorf("get: got %v", got)
	}

	file := dataURI("text/plain", []byte("hi"))
	tests := []struct {
		name       string
		form       map[string][]string
		cloud      string
		wantStatus int
		wantMsg    string
		wantID     string
	}{
		{"unsigned preset", map[string][]string{"upload_preset": {"open"}, "file": {file}, "public_id": {"note"}}, testCloud, 200, "", "incoming/note"},
		{"signed-only preset", map[string][]string{"upload_preset": {"closed"}, "file": {file}}, testCloud, 400,
			"Upload preset must be whitelisted for unsigned uploads", ""},
		{"preset of another cloud", map[string][]string{"upload_preset": {"open"}, "file": {file}}, "elsewhere", 400, "Upload preset not found", ""},
		{"unsigned uploads cannot overwrite", map[string][]string{"upload_preset": {"open"}, "file": {dataURI("text/plain", []byte("other"))},
			"public_id": {"note"}, "overwrite": {"true"}}, testCloud, 400,
			"Public ID incoming/note already exists: an unsigned upload cannot replace or return an existing asset", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.postForm("/v1_1/"+tc.cloud+"/raw/upload", tc.form)
			if got.Status != tc.wantStatus || got.errorMessage() != tc.wantMsg {
				t.Fatalf("got %d %s, want %d %q", got.Status, got.Raw, tc.wantStatus, tc.wantMsg)
			}
			if tc.wantID != "" && got.JSON["public_id"] != tc.wantID {
				t.Errorf("public_id: got %v, want %s", got.JSON["public_id"], tc.wantID)
			}
		})
	}
	if back := g.get("/" + testCloud + "/raw/upload/incoming/note"); string(back.Raw) != "hi" {
		t.Errorf("unsigned upload overwrote the first one: got %q", back.Raw)
	}
	g.admin("DELETE", "/v1/upload-presets/open", nil, http.StatusOK)
	g.admin("GET", "/v1/upload-presets/open", nil, http.StatusNotFound)
}
