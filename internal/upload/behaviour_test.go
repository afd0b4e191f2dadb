package upload_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

func (g *gateway) upload(t *testing.T, rtype string, params map[string]string, content []byte, mime string) reply {
	t.Helper()
	v := signed(params, testSecret)
	v.Set("file", dataURI(mime, content))
	return g.postForm("/v1_1/"+testCloud+"/"+rtype+"/upload", v)
}

func TestUploadOptions(t *testing.T) {
	g := startGateway(t, nil)
	first := g.upload(t, "raw", map[string]string{"public_id": "keep.txt"}, []byte("one"), "text/plain")
	if first.Status != 200 {
		t.Fatalf("got %d %s", first.Status, first.Raw)
	}
	tests := []struct {
		name     string
		rtype    string
		params   map[string]string
		content  string
		wantID   *regexp.Regexp
		wantJSON map[string]any
	}{
		{"overwrite false returns the existing asset", "raw", map[string]string{"public_id": "keep.txt", "overwrite": "false"}, "two",
			regexp.MustCompile(`^keep\.txt$`), map[string]any{"existing": true, "bytes": float64(3), "version": first.JSON["version"]}},
		{"overwrite by default", "raw", map[string]string{"public_id": "keep.txt"}, "three",
			regexp.MustCompile(`^keep\.txt$`), map[string]any{"overwritten": true, "bytes": float64(5)}},
		{"folder", "raw", map[string]string{"public_id": "a", "folder": "/x/y/"}, "f", regexp.MustCompile(`^x/y/a$`), nil},
		{"random id", "raw", map[string]string{}, "r", regexp.MustCompile(`^[a-z0-9]{20}\.txt$`), nil},
		{"context", "raw", map[string]string{"context": `alt=a \= b|caption=c`}, "c", regexp.MustCompile(`.`),
			map[string]any{"context": map[string]any{"custom": map[string]any{"alt": "a = b", "caption": "c"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.upload(t, tc.rtype, tc.params, []byte(tc.content), "text/plain")
			if got.Status != 200 {
				t.Fatalf("got %d %s", got.Status, got.Raw)
			}
			if id, _ := got.JSON["public_id"].(string); !tc.wantID.MatchString(id) {
				t.Errorf("public_id: got %q, want %v", id, tc.wantID)
			}
			for k, want := range tc.wantJSON {
				if !equalJSON(got.JSON[k], want) {
					t.Errorf("%s: got %#v, want %#v", k, got.JSON[k], want)
				}
			}
		})
	}
}

func equalJSON(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k := range am {
			if !equalJSON(am[k], bm[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestUseFilename(t *testing.T) {
	g := startGateway(t, nil)
	for _, tc := range []struct {
		unique string
		want   *regexp.Regexp
	}{
		{"", regexp.MustCompile(`^my_photo_[a-z0-9]{6}\.txt$`)},
		{"false", regexp.MustCompile(`^my_photo\.txt$`)},
	} {
		params := map[string]string{"use_filename": "true"}
		if tc.unique != "" {
			params["unique_filename"] = tc.unique
		}
		ct, body := multipartBody(signed(params, testSecret), "my photo.txt", []byte("x"))
		req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ct)
		got := do(t, req)
		if id, _ := got.JSON["public_id"].(string); got.Status != 200 || !tc.want.MatchString(id) || got.JSON["original_filename"] != "my photo" {
			t.Errorf("unique_filename=%q: got %d %s, want public_id %v", tc.unique, got.Status, got.Raw, tc.want)
		}
	}
}

func TestUploadRefusesBadInput(t *testing.T) {
	g := startGateway(t, nil)
	g.admin("PUT", "/v1/buckets/remote", map[string]any{"origin": "http://example.com/media"}, http.StatusCreated)
	g.admin("POST", "/v1/api-keys", map[string]any{"cloud_name": "remotecloud", "bucket": "remote",
		"api_key": "remotekey", "api_secret": testSecret}, http.StatusCreated)
	tests := []struct {
		name    string
		path    string
		params  map[string]string
		wantMsg string
	}{
		{"dot-dot", "raw/upload", map[string]string{"public_id": "a/../b"}, "Invalid public_id: public_id must not contain .."},
		{"leading slash", "raw/upload", map[string]string{"public_id": "/etc/x"}, "Invalid public_id: public_id must not start with /"},
		{"control character", "raw/upload", map[string]string{"public_id": "a\x01b"}, "Invalid public_id: public_id must not contain control characters"},
		{"hidden segment", "raw/upload", map[string]string{"public_id": ".meta/x"}, "Invalid public_id: public_id segments must not start with ."},
		{"too long", "raw/upload", map[string]string{"public_id": strings.Repeat("a", 256)}, "Invalid public_id: public_id is longer than 255 bytes"},
		{"bad type", "raw/upload", map[string]string{"type": "fetch"}, "Invalid type fetch: use upload, authenticated or private"},
		{"not an image", "image/upload", map[string]string{}, "Invalid image file"},
		{"bad resource type", "pdf/upload", map[string]string{}, "Invalid resource type pdf: use image, video, raw or auto"},
		{"read-only bucket", "raw/upload", map[string]string{"api_key": "remotekey"},
			"Bucket remote has a read-only http origin; uploads need a bucket with a file:// or s3:// origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := signed(tc.params, testSecret)
			v.Set("file", dataURI("text/plain", []byte("x")))
			cloud := testCloud
			if tc.params["api_key"] == "remotekey" {
				cloud = "remotecloud"
			}
			got := g.postForm("/v1_1/"+cloud+"/"+tc.path, v)
			if got.Status != 400 || got.errorMessage() != tc.wantMsg {
				t.Errorf("got %d %s, want 400 %q", got.Status, got.Raw, tc.wantMsg)
			}
		})
	}
	if got := g.postForm("/v1_1/"+testCloud+"/raw/rename", url.Values{}); got.Status != 404 ||
		got.errorMessage() != "Unsupported action rename: this gateway supports upload and destroy" {
		t.Errorf("unknown action: got %d %s", got.Status, got.Raw)
	}
	req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if got := do(t, req); got.Status != 400 || !strings.Contains(got.errorMessage(), "Unsupported Content-Type") {
		t.Errorf("json body: got %d %s", got.Status, got.Raw)
	}
	if left := files(t, g.BucketDir); len(left) != 0 {
		t.Errorf("refused uploads left %v", left)
	}
}

func TestCORSPreflight(t *testing.T) {
	g := startGateway(t, nil)
	req, _ := http.NewRequest("OPTIONS", g.URL+uploadPath, nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	got := do(t, req)
	if got.Status != 204 || got.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(got.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: got %d %v", got.Status, got.Header)
	}
}

func TestDelivery(t *testing.T) {
	g := startGateway(t, nil)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	img := pngBytes(t, 8, 8)
	for _, u := range []struct {
		id, typ, mime string
		data          []byte
	}{
		{"pic", "upload", "image/png", img},
		{"draw", "upload", "image/svg+xml", svg},
		{"vault/pic", "authenticated", "image/png", img},
		{"hidden", "private", "image/png", img},
	} {
		if got := g.upload(t, "image", map[string]string{"public_id": u.id, "type": u.typ}, u.data, u.mime); got.Status != 200 {
			t.Fatalf("upload %s: %d %s", u.id, got.Status, got.Raw)
		}
	}
	sha1Sig := uploadsig.SignDelivery("vault/pic.png", testSecret, uploadsig.SHA1)
	sha256Sig := uploadsig.SignDelivery("vault/pic.png", testSecret, uploadsig.SHA256)
	base := "/" + testCloud + "/image/"
	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantHeader map[string]string
	}{
		{"public", base + "upload/v1/pic.png", 200, map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff"}},
		{"without version", base + "upload/pic.png", 200, nil},
		{"svg is sandboxed", base + "upload/draw.svg", 200, map[string]string{"Content-Security-Policy": "sandbox"}},
		{"wrong extension", base + "upload/pic.jpg", 404, nil},
		{"wrong resource type", "/" + testCloud + "/video/upload/pic.png", 404, nil},
		{"authenticated, unsigned", base + "authenticated/v1/vault/pic.png", 401, nil},
		{"authenticated, SHA-1 signature", base + "authenticated/s--" + sha1Sig + "--/v1/vault/pic.png", 200, nil},
		{"authenticated, SHA-256 signature", base + "authenticated/s--" + sha256Sig + "--/v1/vault/pic.png", 200, nil},
		{"authenticated, wrong signature", base + "authenticated/s--AAAAAAAA--/v1/vault/pic.png", 401, nil},
		{"authenticated, signature of another asset", base + "authenticated/s--" + sha1Sig + "--/v1/vault/pic2.png", 401, nil},
		{"private never by URL", base + "private/hidden.png", 404, nil},
		{"transformation", base + "upload/c_fill,w_10/pic.png", 400, nil},
		{"unknown cloud is not claimed", "/nocloud/image/upload/pic.png", 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.get(tc.path)
			if got.Status != tc.wantStatus {
				t.Fatalf("GET %s: got %d %s, want %d", tc.path, got.Status, got.Raw, tc.wantStatus)
			}
			for k, v := range tc.wantHeader {
				if got.Header.Get(k) != v {
					t.Errorf("%s: got %q, want %q", k, got.Header.Get(k), v)
				}
			}
		})
	}
	if got := g.get(base + "upload/c_fill,w_10/pic.png"); !strings.Contains(string(got.Raw), "transformations are not supported yet") {
		t.Errorf("transformation refusal: %s", got.Raw)
	}

	req, _ := http.NewRequest("GET", g.URL+base+"upload/pic.png", nil)
	req.Header.Set("Range", "bytes=0-3")
	if got := do(t, req); got.Status != 206 || string(got.Raw) != string(img[:4]) {
		t.Errorf("range: got %d %q", got.Status, got.Raw)
	}
	etag := g.get(base + "upload/pic.png").Header.Get("ETag")
	req, _ = http.NewRequest("GET", g.URL+base+"upload/pic.png", nil)
	req.Header.Set("If-None-Match", etag)
	if got := do(t, req); etag == "" || got.Status != 304 {
		t.Errorf("If-None-Match %q: got %d", etag, got.Status)
	}
	req, _ = http.NewRequest("HEAD", g.URL+base+"upload/pic.png", nil)
	if got := do(t, req); got.Status != 200 || len(got.Raw) != 0 {
		t.Errorf("HEAD: got %d with %d bytes", got.Status, len(got.Raw))
	}
}

// Destroy is signed like uploads and answers ok or not found.
func TestDestroy(t *testing.T) {
	g := startGateway(t, nil)
	g.upload(t, "raw", map[string]string{"public_id": "gone.txt"}, []byte("x"), "text/plain")
	tests := []struct {
		name   string
		rtype  string
		params map[string]string
		secret string
		status int
		want   string
	}{
		{"wrong secret", "raw", map[string]string{"public_id": "gone.txt"}, "wrong-secret", 401, ""},
		{"wrong resource type", "image", map[string]string{"public_id": "gone.txt"}, testSecret, 200, "not found"},
		{"ok", "raw", map[string]string{"public_id": "gone.txt"}, testSecret, 200, "ok"},
		{"again", "raw", map[string]string{"public_id": "gone.txt"}, testSecret, 200, "not found"},
		{"no public id", "raw", map[string]string{}, testSecret, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := signed(tc.params, tc.secret)
			req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/"+tc.rtype+"/destroy", strings.NewReader(v.Encode()))
			got := do(t, req) // no Content-Type, as the Go SDK sends it
			if got.Status != tc.status || (tc.want != "" && got.JSON["result"] != tc.want) {
				t.Errorf("got %d %s, want %d %q", got.Status, got.Raw, tc.status, tc.want)
			}
		})
	}
	if left := files(t, g.BucketDir); len(left) != 0 {
		t.Errorf("destroy left %v", left)
	}
}

// Public ids "a" and "a/b" cannot both exist, as on a file system; the
// second is refused with a 400, never a 500.
func TestPublicIDFolderConflict(t *testing.T) {
	g := startGateway(t, nil)
	for _, tc := range []struct{ first, second string }{{"p/q", "p"}, {"r", "r/s"}} {
		if got := g.upload(t, "raw", map[string]string{"public_id": tc.first}, []byte("1"), "text/plain"); got.Status != 200 {
			t.Fatalf("%s: %d %s", tc.first, got.Status, got.Raw)
		}
		got := g.upload(t, "raw", map[string]string{"public_id": tc.second}, []byte("2"), "text/plain")
		want := "Public ID " + tc.second + " conflicts with an existing folder or asset of that name"
		if got.Status != 400 || got.errorMessage() != want {
			t.Errorf("%s after %s: got %d %s, want 400 %q", tc.second, tc.first, got.Status, got.Raw, want)
		}
	}
}
