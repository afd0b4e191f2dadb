package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/verify/sigv4"
)

type fuzzBuckets map[string]bucket.Bucket

func (f fuzzBuckets) Lookup(_ context.Context, name string) (bucket.Bucket, bool, error) {
	b, ok := f[name]
	return b, ok, nil
}

type fuzzKeys map[string]AccessKey

func (f fuzzKeys) Lookup(_ context.Context, id string) (AccessKey, bool, error) {
	k, ok := f[id]
	return k, ok, nil
}

type fuzzOrigins struct{ dir string }

func (o fuzzOrigins) Handler(bucket.Bucket) (http.Handler, error) {
	return http.StripPrefix("", http.FileServer(http.Dir(o.dir))), nil
}

// FuzzRequest sends arbitrary methods, paths, queries and headers, signed
// or not, to the endpoint: it never panics, never answers a 5xx, and
// every error is S3's XML.
func FuzzRequest(f *testing.F) {
	dir := f.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o644)
	key := AccessKey{ID: "GKAAAAAAAAAAAAAAAAAA", Secret: strings.Repeat("s", 40), Bucket: "films", Permissions: []string{Read, Write}}
	h := &Handler{
		Buckets: fuzzBuckets{"films": {Name: "films", Origin: "file://" + dir, Policy: bucket.Authenticated}},
		Keys:    fuzzKeys{key.ID: key},
		Origins: fuzzOrigins{dir},
		Stores:  &Stores{},
		Region:  "us-east-1", MaxObjectBytes: 1 << 20,
		Now: func() time.Time { return time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC) },
	}
	f.Add("GET", "/s3/films/a.txt", "list-type=2", "", "", true)
	f.Add("PUT", "/s3/films/b/c.txt", "x-amz-checksum-crc32=AAAAAA%3D%3D", "Content-MD5", "xx", true)
	f.Add("GET", "/s3/films", "list-type=2&prefix=a&delimiter=/&continuation-token=!!", "", "", true)
	f.Add("DELETE", "/s3/films/../a.txt", "", "Range", "bytes=0-1", false)
	f.Add("OPTIONS", "/s3/films/a.txt", "", "Origin", "https://x", false)
	f.Fuzz(func(t *testing.T, method, path, query, hname, hvalue string, sign bool) {
		u := &url.URL{Scheme: "http", Host: "gateway.test", Path: path, RawQuery: query}
		if method == "" || strings.ContainsAny(method, " \r\n\t()<>@,;:\\\"/[]?={}") {
			return
		}
		req, err := http.NewRequest(method, u.String(), strings.NewReader("body"))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/s3") {
			return
		}
		if hname != "" && !strings.ContainsAny(hname, " \r\n:") && !strings.ContainsAny(hvalue, "\r\n") {
			req.Header.Set(hname, hvalue)
		}
		if sign {
			signed, _, err := sigv4.Presign(sigv4.PresignInput{
				Method: method, URL: u.String(), AccessKeyID: key.ID, Secret: key.Secret, Region: "us-east-1",
				Time: h.Now(), Expires: time.Hour,
			})
			if err != nil {
				return
			}
			if req, err = http.NewRequest(method, signed, strings.NewReader("body")); err != nil {
				return
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s?%s: %d %s", method, path, query, w.Code, w.Body)
		}
		if w.Code >= 400 && method != http.MethodHead {
			var e errorBody
			if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" {
				t.Fatalf("%s %s?%s: %d, not S3's XML: %q", method, path, query, w.Code, w.Body)
			}
		}
	})
}
