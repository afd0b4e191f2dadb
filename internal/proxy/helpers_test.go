package proxy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify/token"
)

// RSA-2048 generation is slow: one set of keys per test binary.
var (
	keysOnce     sync.Once
	privA, privB *rsa.PrivateKey
)

func testKeys(tb testing.TB) {
	tb.Helper()
	keysOnce.Do(func() {
		for _, p := range []**rsa.PrivateKey{&privA, &privB} {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			*p = k
		}
	})
}

// t0 is the fixed clock of the handler under test.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type fakeBuckets map[string]bucket.Bucket

func (f fakeBuckets) Lookup(_ context.Context, name string) (bucket.Bucket, bool, error) {
	b, ok := f[name]
	return b, ok, nil
}

type fakeKeys struct {
	mu   sync.Mutex
	keys map[string]token.Key
}

func (f *fakeKeys) Lookup(_ context.Context, kid string, _ bucket.Bucket) (token.Key, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[kid]
	return k, ok, nil
}

func (f *fakeKeys) delete(kid string) {
	f.mu.Lock()
	delete(f.keys, kid)
	f.mu.Unlock()
}

// seen is what the stand-in origin received.
type seen struct {
	Path, RawQuery, RequestURI, Cookie string
}

// standIn is an origin serving fixed files and recording every request.
type standIn struct {
	mu    sync.Mutex
	files map[string]string
	reqs  []seen
}

func (o *standIn) Handler(bucket.Bucket) (http.Handler, error) { return o, nil }

func (o *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.reqs = append(o.reqs, seen{r.URL.Path, r.URL.RawQuery, r.RequestURI, strings.Join(r.Header.Values("Cookie"), "|")})
	body, ok := o.files[r.URL.Path]
	o.mu.Unlock()
	if !ok {
		http.Error(w, "no such object", http.StatusNotFound)
		return
	}
	if strings.HasSuffix(r.URL.Path, ".m3u8") {
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	}
	w.Header().Set("ETag", `"v1"`)
	http.ServeContent(w, r, r.URL.Path, time.Time{}, strings.NewReader(body))
}

func (o *standIn) last() seen {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.reqs) == 0 {
		return seen{}
	}
	return o.reqs[len(o.reqs)-1]
}

func (o *standIn) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reqs)
}

const playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg0.ts\n#EXTINF:4,\nseg1.ts\n#EXT-X-ENDLIST\n"

var testFiles = map[string]string{
	"/a.mp4":                 "public movie",
	"/films/a.mp4":           "film a",
	"/films/b.mp4":           "film b",
	"/filmsx/c.mp4":          "not under /films",
	"/show/ep1/master.m3u8":  playlist,
	"/show/ep1/seg0.ts":      "segment 0",
	"/show/ep1/seg1.ts":      "segment 1",
	"/show/ep1/manifest.mpd": "<MPD/>",
	"/show/ep2/seg0.ts":      "other episode",
	"/sp ace/x;y.mp4":        "odd name",
}

type fixture struct {
	srv    *httptest.Server
	h      *Handler
	keys   *fakeKeys
	origin *standIn
}

// newFixture serves a Handler with stand-ins over real HTTP: bucket
// "media" (authenticated, key "kid-a"), "other" (authenticated, key
// "kid-b") and "open" (public).
func newFixture(t *testing.T, mod func(*Handler)) *fixture {
	t.Helper()
	testKeys(t)
	f := &fixture{
		keys: &fakeKeys{keys: map[string]token.Key{
			"kid-a": {ID: "kid-a", Bucket: "media", Public: &privA.PublicKey, Alg: token.AlgRS256},
			"kid-b": {ID: "kid-b", Bucket: "other", Public: &privB.PublicKey, Alg: token.AlgRS256},
		}},
		origin: &standIn{files: testFiles},
	}
	f.h = &Handler{
		Buckets: fakeBuckets{
			"media": {Name: "media", Policy: bucket.Authenticated},
			"other": {Name: "other", Policy: bucket.Authenticated},
			"open":  {Name: "open", Policy: bucket.Public},
		},
		Keys:             f.keys,
		Origins:          f.origin,
		Cache:            token.NewCache(1000, time.Hour),
		Leeway:           30 * time.Second,
		Now:              func() time.Time { return t0 },
		MaxPlaylistBytes: 1 << 20,
		CacheControl:     "private",
	}
	if mod != nil {
		mod(f.h)
	}
	router := f.h.MediaRouter()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, _ := router.Route(r); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func sign(t testing.TB, priv *rsa.PrivateKey, kid string, c token.Claims) string {
	t.Helper()
	tok, err := token.Sign(priv, kid, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// rawJWT builds a token with any header, signed by signFn over the
// signing input.
func rawJWT(t testing.TB, hdr, claims map[string]any, signFn func(signed string) []byte) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(hdr)
	p, _ := json.Marshal(claims)
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	return signed + "." + enc.EncodeToString(signFn(signed))
}

func hs256(key []byte) func(string) []byte {
	return func(s string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
}

type answer struct {
	status int
	body   string
	header http.Header
}

// get sends a raw request target, so that tests control every byte of it.
func get(t testing.TB, srv *httptest.Server, target string, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = target // sent verbatim as the request target
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(body), res.Header}
}

func codeOf(body string) string {
	var b struct{ Code string }
	_ = json.Unmarshal([]byte(body), &b)
	return b.Code
}

// originFunc is an origin given as a function.
type originFunc func(http.ResponseWriter, *http.Request)

func (o originFunc) Handler(bucket.Bucket) (http.Handler, error) { return http.HandlerFunc(o), nil }

// writeErr writes an error as the app's handlers do.
func writeErr(w http.ResponseWriter, r *http.Request, err error) { server.WriteError(w, r, err) }
