package upload_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// An unsigned upload is anyone's request: whatever parameters it carries,
// it never returns, replaces or reaches an asset it did not create, and
// never lands outside type upload.
func TestUnsignedUploadsCannotReachOtherAssets(t *testing.T) {
	g := startGateway(t, nil)
	g.admin("POST", "/v1/upload-presets", map[string]any{"name": "open", "cloud_name": testCloud, "bucket": "uploads",
		"unsigned": true}, http.StatusCreated)
	img := pngBytes(t, 8, 8)
	// The owner's assets, each with metadata an outsider must not see.
	for _, a := range []struct{ typ, id string }{{"private", "secret/doc"}, {"authenticated", "auth/doc"}, {"upload", "pub/doc"}} {
		v := signed(map[string]string{"public_id": a.id, "type": a.typ, "tags": "confidential-tag",
			"context": "owner=alice-the-owner"}, testSecret)
		v.Set("file", dataURI("image/png", img))
		if got := g.postForm("/v1_1/"+testCloud+"/image/upload", v); got.Status != 200 {
			t.Fatalf("owner's %s upload: got %d %s", a.typ, got.Status, got.Raw)
		}
	}
	const exists = "Public ID pub/doc already exists: an unsigned upload cannot replace or return an existing asset"
	small := pngBytes(t, 4, 4)
	other := dataURI("image/png", small)
	tests := []struct {
		name    string
		rtype   string
		form    url.Values
		wantMsg string
	}{
		{"type private", "image", url.Values{"type": {"private"}, "public_id": {"secret/doc"}},
			"Type private is not allowed when using unsigned upload: unsigned uploads always have type upload"},
		{"type authenticated", "image", url.Values{"type": {"authenticated"}, "public_id": {"auth/doc"}},
			"Type authenticated is not allowed when using unsigned upload: unsigned uploads always have type upload"},
		{"existing public id", "image", url.Values{"public_id": {"pub/doc"}}, exists},
		{"existing public id, overwrite asked for", "image", url.Values{"public_id": {"pub/doc"}, "overwrite": {"true"}}, exists},
		{"existing public id from folder and file name", "auto", url.Values{"folder": {"pub"}, "use_filename": {"true"},
			"unique_filename": {"false"}, "filename": {"doc.png"}}, exists},
		// The refusal does not even tell the resource type of what is there.
		{"existing public id as another resource type", "raw", url.Values{"public_id": {"pub/doc"}}, exists},
		// A raw asset "pub/doc.png" would have the image's file name.
		{"another asset's file name", "raw", url.Values{"public_id": {"pub/doc.png"}},
			"Public ID pub/doc.png conflicts with an existing folder or asset of that name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("upload_preset", "open")
			tc.form.Set("file", other)
			got := g.postForm("/v1_1/"+testCloud+"/"+tc.rtype+"/upload", tc.form)
			if got.Status != 400 || got.errorMessage() != tc.wantMsg {
				t.Errorf("got %d %s, want 400 %q", got.Status, got.Raw, tc.wantMsg)
			}
			for _, secret := range []string{"alice-the-owner", "confidential-tag"} {
				if strings.Contains(string(got.Raw), secret) {
					t.Errorf("the answer leaks %q: %s", secret, got.Raw)
				}
			}
		})
	}
	t.Run("last chunk of a chunked upload", func(t *testing.T) {
		v := url.Values{"upload_preset": {"open"}, "public_id": {"pub/doc"}, "file": {other}}
		req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/image/upload", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Unique-Upload-Id", "anon-1")
		req.Header.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(small)-1, len(small)))
		if got := do(t, req); got.Status != 400 || got.errorMessage() != exists {
			t.Errorf("got %d %s, want 400 %q", got.Status, got.Raw, exists)
		}
	})
	// The owner's public asset is untouched.
	if back := g.get("/" + testCloud + "/image/upload/pub/doc.png"); back.Status != 200 || !bytes.Equal(back.Raw, img) {
		t.Errorf("the owner's asset changed: got %d and %d bytes", back.Status, len(back.Raw))
	}
	// A new public id is still accepted, as type upload.
	v := url.Values{"upload_preset": {"open"}, "public_id": {"anon/new"}, "file": {other}}
	if got := g.postForm("/v1_1/"+testCloud+"/image/upload", v); got.Status != 200 || got.JSON["type"] != "upload" {
		t.Errorf("new public id: got %d %s", got.Status, got.Raw)
	}
}
