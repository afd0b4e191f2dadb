package proxy

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/proxy/origin"
	"github.com/signedgate/gateway/internal/verify/token"
)

// FuzzDeliveryPath sends arbitrary request targets through the delivery
// handler and the real file origin. The bucket directory sits beside a
// secret file; the token opens /films/ only. Whatever the path: no 5xx, no
// panic, and a successful answer is always a file under /films/ (or, on
// the public bucket, a file inside the bucket).
func FuzzDeliveryPath(f *testing.F) {
	root := f.TempDir()
	dir := filepath.Join(root, "bucket")
	files := map[string]string{
		"films/a.mp4":   "IN-SCOPE-A",
		"films/b c.mp4": "IN-SCOPE-B",
		"filmsx/c.mp4":  "OUT-OF-SCOPE-C",
		"show/seg0.ts":  "OUT-OF-SCOPE-SEG",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "secret.txt"), []byte("SECRET"), 0o644); err != nil {
		f.Fatal(err)
	}
	testKeys(f)
	h := &Handler{
		Buckets: fakeBuckets{
			"media": {Name: "media", Origin: "file://" + dir, Policy: bucket.Authenticated},
			"open":  {Name: "open", Origin: "file://" + dir, Policy: bucket.Public},
		},
		Keys: &fakeKeys{keys: map[string]token.Key{
			"kid-a": {ID: "kid-a", Bucket: "media", Public: &privA.PublicKey, Alg: token.AlgRS256},
		}},
		Origins:          origin.NewPool(origin.Options{}),
		Cache:            token.NewCache(100, time.Hour),
		Leeway:           30 * time.Second,
		Now:              func() time.Time { return t0 },
		MaxPlaylistBytes: 1 << 20,
		CacheControl:     "private",
		Rewrite:          rewriteStub,
	}
	tok := sign(f, privA, "kid-a", token.Claims{URI: "/films"})
	router := h.MediaRouter()

	for _, s := range []string{
		"/media/media/films/a.mp4", "/media/media/films/../show/seg0.ts", "/media/media/films%2F..%2Fshow/seg0.ts",
		"/media/media/films/%2e%2e/%2e%2e/secret.txt", "/media/open/../secret.txt", "/media/open/%2e%2e/secret.txt",
		"/media/media/films/b%20c.mp4", "/media/media/filmsx/c.mp4", "/media/media/films/%252e%252e/filmsx/c.mp4",
		"/media/open/films/a.mp4?auth=x&auth=y", "/media/media/films/a.mp4;/../../secret.txt", "/media/open//secret.txt",
		"/films/a.mp4", "/../secret.txt", "/films\\..\\..\\secret.txt",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, target string, domain bool) {
		if strings.ContainsAny(target, " \r\n") || target == "" {
			return
		}
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		raw := "GET " + target + sep + "auth=" + tok + " HTTP/1.1\r\nHost: gw\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		bucketName := "media"
		if domain {
			if strings.HasPrefix(target, "/open") {
				bucketName = "open"
			}
			if err := h.ServeDomain(w, r, bucketName); err != nil {
				writeErr(w, r, err)
			}
		} else {
			hd, _ := router.Route(r)
			if hd == nil {
				return
			}
			hd.ServeHTTP(w, r)
			if strings.HasPrefix(r.URL.Path, "/media/open/") {
				bucketName = "open"
			}
		}
		if w.Code >= 500 {
			t.Fatalf("%q: status %d: %s", target, w.Code, w.Body)
		}
		if w.Code >= 300 {
			return
		}
		body := w.Body.String()
		if strings.Contains(body, "SECRET") {
			t.Fatalf("%q served the file outside the bucket", target)
		}
		if bucketName == "media" && body != "" && !strings.HasPrefix(body, "IN-SCOPE") {
			t.Fatalf("%q on the authenticated bucket served %q, outside the token's scope", target, body)
		}
	})
}

// FuzzQueryToken: whatever the query, what goes on to the origin holds no
// auth pair, and a found token is the value of one.
func FuzzQueryToken(f *testing.F) {
	for _, s := range []string{"auth=a.b.c", "x=1&auth=a.b.c&y=2", "a=1;auth=t;b", "%61uth=t", "auth=%zz", "auth=a&auth=b", "&&;;auth=", "auth", "=auth"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		tok, rest, found, _ := queryToken(q)
		if _, _, again, amb := queryToken(rest); again || amb {
			t.Fatalf("%q: rest %q still carries an auth pair", q, rest)
		}
		if found && !strings.Contains(q, "=") {
			t.Fatalf("%q: found token %q without a pair", q, tok)
		}
		if len(rest) > len(q) {
			t.Fatalf("%q: rest %q grew", q, rest)
		}
	})
}
