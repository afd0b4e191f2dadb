package origin

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// TestRangeAndConditional runs the same requests against both kinds of
// origin: what a player sees must not depend on where the bucket lives.
func TestRangeAndConditional(t *testing.T) {
	fileSrv, _ := fileBucket(t)
	up := newUpstream(t, nil)
	httpSrv := serveBucket(t, NewPool(Options{}), up.URL+"/prefix")
	s3Srv := s3Bucket(t)
	origins := map[string]string{"file": fileSrv.URL, "http": httpSrv.URL, "s3": s3Srv.URL}

	for kind, base := range origins {
		url := base + "/films/a.mp4"
		full, _ := do(t, http.MethodGet, url, nil)
		etag := full.Header.Get("ETag")
		lastModified := full.Header.Get("Last-Modified")
		if etag == "" || strings.HasPrefix(etag, "W/") || !strings.HasPrefix(etag, `"`) {
			t.Fatalf("%s: ETag %q, want a strong quoted ETag", kind, etag)
		}
		// An S3 object's time is when it was written.
		if lastModified != objectTime.Format(http.TimeFormat) && (kind != "s3" || lastModified == "") {
			t.Fatalf("%s: Last-Modified %q, want %q", kind, lastModified, objectTime.Format(http.TimeFormat))
		}

		tests := []struct {
			name         string
			method       string
			header       map[string]string
			status       int
			contentRange string
			body         []byte // nil: not checked
		}{
			{name: "full", method: "GET", status: 200, body: object},
			{name: "single range", method: "GET", header: map[string]string{"Range": "bytes=10-19"},
				status: 206, contentRange: "bytes 10-19/1000", body: object[10:20]},
			{name: "open range", method: "GET", header: map[string]string{"Range": "bytes=990-"},
				status: 206, contentRange: "bytes 990-999/1000", body: object[990:]},
			{name: "suffix range", method: "GET", header: map[string]string{"Range": "bytes=-10"},
				status: 206, contentRange: "bytes 990-999/1000", body: object[990:]},
			{name: "unsatisfiable range", method: "GET", header: map[string]string{"Range": "bytes=5000-"},
				status: 416, contentRange: "bytes */1000"},
			{name: "if-none-match", method: "GET", header: map[string]string{"If-None-Match": etag},
				status: 304, body: []byte{}},
			{name: "if-none-match other", method: "GET", header: map[string]string{"If-None-Match": `"other"`},
				status: 200, body: object},
			{name: "if-modified-since", method: "GET", header: map[string]string{"If-Modified-Since": lastModified},
				status: 304, body: []byte{}},
			{name: "if-range mismatch", method: "GET", header: map[string]string{"Range": "bytes=0-9", "If-Range": `"other"`},
				status: 200, body: object},
			{name: "if-range match", method: "GET", header: map[string]string{"Range": "bytes=0-9", "If-Range": etag},
				status: 206, contentRange: "bytes 0-9/1000", body: object[:10]},
			{name: "head", method: "HEAD", status: 200, body: []byte{}},
			{name: "head range", method: "HEAD", header: map[string]string{"Range": "bytes=0-9"},
				status: 206, contentRange: "bytes 0-9/1000", body: []byte{}},
		}
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				res, body := do(t, tt.method, url, tt.header)
				if res.StatusCode != tt.status {
					t.Fatalf("status %d, want %d (body %.200q)", res.StatusCode, tt.status, body)
				}
				if got := res.Header.Get("Content-Range"); got != tt.contentRange {
					t.Errorf("Content-Range %q, want %q", got, tt.contentRange)
				}
				if tt.body != nil && !bytes.Equal(body, tt.body) {
					t.Errorf("body %d bytes %.40q, want %d bytes %.40q", len(body), body, len(tt.body), tt.body)
				}
				if tt.status == 200 || tt.status == 206 {
					if got := res.Header.Get("Content-Type"); got != "video/mp4" {
						t.Errorf("Content-Type %q, want video/mp4", got)
					}
					if got := res.Header.Get("Accept-Ranges"); got != "bytes" {
						t.Errorf("Accept-Ranges %q, want bytes", got)
					}
					if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
						t.Errorf("X-Content-Type-Options %q, want nosniff", got)
					}
					if got := res.Header.Get("ETag"); got != etag {
						t.Errorf("ETag %q, want %q", got, etag)
					}
				}
				if tt.method == "HEAD" && tt.status == 200 && res.ContentLength != int64(len(object)) {
					t.Errorf("HEAD Content-Length %d, want %d", res.ContentLength, len(object))
				}
			})
		}

		t.Run(kind+"/multiple ranges", func(t *testing.T) {
			res, body := do(t, "GET", url, map[string]string{"Range": "bytes=0-1,10-11"})
			if res.StatusCode != 206 {
				t.Fatalf("status %d, want 206", res.StatusCode)
			}
			mt, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
			if err != nil || mt != "multipart/byteranges" {
				t.Fatalf("Content-Type %q, want multipart/byteranges", res.Header.Get("Content-Type"))
			}
			mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
			var parts []string
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(p)
				parts = append(parts, p.Header.Get("Content-Range")+"="+string(b))
			}
			want := []string{"bytes 0-1/1000=" + string(object[0:2]), "bytes 10-11/1000=" + string(object[10:12])}
			if strings.Join(parts, "|") != strings.Join(want, "|") {
				t.Errorf("parts %q, want %q", parts, want)
			}
		})
	}
}

func TestMethodsOtherThanGetAndHeadRefused(t *testing.T) {
	fileSrv, _ := fileBucket(t)
	up := newUpstream(t, nil)
	httpSrv := serveBucket(t, NewPool(Options{}), up.URL+"/prefix")
	for _, base := range []string{fileSrv.URL, httpSrv.URL, s3Bucket(t).URL} {
		res, body := do(t, http.MethodPost, base+"/films/a.mp4", nil)
		if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), `"METHOD_NOT_ALLOWED"`) {
			t.Errorf("POST: status %d body %s, want 405 METHOD_NOT_ALLOWED", res.StatusCode, body)
		}
		if got := res.Header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("Allow %q, want GET, HEAD", got)
		}
	}
	select {
	case r := <-up.got:
		t.Errorf("the upstream got a %s it should not have", r.Method)
	default:
	}
}
