package upload_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// multipartBody builds a multipart body the way the Node SDK sends it: no
// CRLF after the closing boundary.
func multipartBody(fields url.Values, filename string, file []byte) (string, []byte) {
	const boundary = "----gatewaytestboundary"
	var b bytes.Buffer
	for k, vs := range fields {
		for _, v := range vs {
			b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n")
		}
	}
	if file != nil {
		b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
			"\"\r\nContent-Type: application/octet-stream\r\n\r\n")
		b.Write(file)
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--")
	return "multipart/form-data; boundary=" + boundary, b.Bytes()
}

// onlyReader hides the length of a body so the client sends it chunked.
type onlyReader struct{ io.Reader }

func TestUploadBodyForms(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "fetched by url")
	}))
	defer origin.Close()
	g := startGateway(t, map[string]string{"GATEWAY_FETCH_ALLOW_CIDRS": "127.0.0.0/8"})
	content := []byte("file content\r\n--not-a-boundary\r\n")

	tests := []struct {
		name    string
		build   func() *http.Request
		wantID  string
		want    []byte
		wantTag string
	}{
		{
			name: "multipart, chunked, no trailing CRLF",
			build: func() *http.Request {
				ct, body := multipartBody(signed(map[string]string{"public_id": "mp"}, testSecret), "notes.txt", content)
				req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", onlyReader{bytes.NewReader(body)})
				req.Header.Set("Content-Type", ct)
				return req
			},
			wantID: "mp", want: content,
		},
		{
			name: "query parameters merged with a multipart file",
			build: func() *http.Request {
				q := signed(map[string]string{"public_id": "q"}, testSecret)
				ct, body := multipartBody(nil, "notes.txt", content)
				req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload?"+q.Encode(), bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				return req
			},
			wantID: "q", want: content,
		},
		{
			name: "no Content-Type, remote URL",
			build: func() *http.Request {
				v := signed(map[string]string{"public_id": "remote", "file": origin.URL + "/a.txt"}, testSecret)
				req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", strings.NewReader(v.Encode()))
				req.Header.Del("Content-Type")
				return req
			},
			wantID: "remote", want: []byte("fetched by url"),
		},
		{
			name: "urlencoded data URI, Node array spelling",
			build: func() *http.Request {
				v := signed(map[string]string{"public_id": "arr", "tags": "x,y"}, testSecret)
				v.Del("tags")
				v["tags[]"] = []string{"x", "y"}
				v.Set("file", dataURI("text/plain", content))
				req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return req
			},
			wantID: "arr", want: content, wantTag: "y",
		},
		{
			name: "multipart, Go array spelling",
			build: func() *http.Request {
				v := signed(map[string]string{"public_id": "goarr", "tags": "x,y"}, testSecret)
				v.Del("tags")
				v.Set("tags[0]", "x")
				v.Set("tags[1]", "y")
				ct, body := multipartBody(v, "n.txt", content)
				req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				return req
			},
			wantID: "goarr", want: content, wantTag: "y",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, tc.build())
			if got.Status != 200 || got.JSON["public_id"] != tc.wantID {
				t.Fatalf("got %d %s, want 200 with public_id %s", got.Status, got.Raw, tc.wantID)
			}
			if tc.wantTag != "" {
				if tags, _ := got.JSON["tags"].([]any); len(tags) != 2 || tags[1] != tc.wantTag {
					t.Errorf("tags: got %v", got.JSON["tags"])
				}
			}
			u, _ := got.JSON["url"].(string)
			back := g.get(strings.TrimPrefix(u, g.URL))
			if back.Status != 200 || !bytes.Equal(back.Raw, tc.want) {
				t.Errorf("delivery of %s: got %d %q, want %q", u, back.Status, back.Raw, tc.want)
			}
		})
	}
}

// A body cut short, or a file over the limit, leaves nothing behind: not
// in the bucket, not in the staging area.
func TestFailedUploadsLeaveNothing(t *testing.T) {
	g := startGateway(t, map[string]string{"GATEWAY_UPLOAD_MAX_BYTES": "1000"})
	staging := filepath.Join(g.DataDir, "uploads")

	ct, body := multipartBody(signed(map[string]string{"public_id": "cut"}, testSecret), "big.bin", bytes.Repeat([]byte("x"), 900))
	cut := body[:len(body)-400] // the body ends inside the file part
	req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", onlyReader{bytes.NewReader(cut)})
	req.Header.Set("Content-Type", ct)
	got := do(t, req)
	if got.Status != 400 || !strings.Contains(got.errorMessage(), "the body ended inside the file part") {
		t.Errorf("truncated: got %d %s, want 400 naming the truncation", got.Status, got.Raw)
	}

	ct, body = multipartBody(signed(map[string]string{"public_id": "big"}, testSecret), "big.bin", bytes.Repeat([]byte("x"), 1500))
	req, _ = http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	got = do(t, req)
	if want := "File size too large. Got 1500. Maximum is 1000."; got.Status != 400 || got.errorMessage() != want {
		t.Errorf("too large: got %d %s, want 400 %q", got.Status, got.Raw, want)
	}

	v := signed(map[string]string{"public_id": "bigdata"}, testSecret)
	v.Set("file", dataURI("application/octet-stream", bytes.Repeat([]byte("y"), 1001)))
	got = g.postForm("/v1_1/"+testCloud+"/raw/upload", v)
	if want := "File size too large. Got 1001. Maximum is 1000."; got.Status != 400 || got.errorMessage() != want {
		t.Errorf("data URI too large: got %d %s, want 400 %q", got.Status, got.Raw, want)
	}

	if left := files(t, g.BucketDir); len(left) != 0 {
		t.Errorf("bucket holds %v, want nothing", left)
	}
	if left := files(t, staging); len(left) != 0 {
		t.Errorf("staging holds %v, want nothing", left)
	}
}
