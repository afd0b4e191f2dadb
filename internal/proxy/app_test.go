package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/token"
)

func TestSigningKeysAPI(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	dir := mediaDir(t)
	k := makeBucket(t, in, "media", "file://"+dir)

	if !strings.HasPrefix(k.SigningKey.PrivateKey, "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("private key is not PKCS#8 PEM: %.40q", k.SigningKey.PrivateKey)
	}
	if priv, err := token.ParsePrivate([]byte(k.SigningKey.PrivateKey)); err != nil || priv.N.BitLen() != 2048 {
		t.Errorf("private key: %v", err)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(k.SigningKey.Created) {
		t.Errorf("created %q is not like 2023-06-12 15:00:40", k.SigningKey.Created)
	}
	if k.SigningKey.Name != nil || k.SigningKey.Bucket != "media" {
		t.Errorf("got %+v, want bucket media and name null", k.SigningKey)
	}
	var k2 keyAnswer
	if st := in.Admin(t, "POST", "/v1/signing-keys", map[string]string{"bucket": "media"}, &k2); st != 201 || k2.SigningKey.ID == k.SigningKey.ID {
		t.Fatalf("second key: %d %+v", st, k2)
	}

	var raw map[string][]map[string]any
	in.Admin(t, "GET", "/v1/signing-keys", nil, &raw)
	if len(raw["signing_keys"]) != 2 {
		t.Fatalf("list: got %v", raw)
	}
	for _, item := range raw["signing_keys"] {
		for field := range item {
			if strings.Contains(field, "private") {
				t.Errorf("listing shows %q", field)
			}
		}
	}
	var got keyAnswer
	if st := in.Admin(t, "GET", "/v1/signing-keys/"+k.SigningKey.ID, nil, &got); st != 200 || got.SigningKey.PrivateKey != "" || got.SigningKey.ID != k.SigningKey.ID {
		t.Errorf("get: %d %+v", st, got)
	}
	if st := in.Admin(t, "PUT", "/v1/signing-keys/"+k.SigningKey.ID, map[string]string{"name": "player"}, &got); st != 200 || got.SigningKey.Name == nil || *got.SigningKey.Name != "player" {
		t.Errorf("rename: %d %+v", st, got)
	}

	// Both keys open the bucket; deleting one stops only its tokens.
	for _, key := range []keyAnswer{k, k2} {
		if st, _, _ := fetch(t, in.URL+"/media/media/films/a.mp4?auth="+signWith(t, key, token.Claims{}), "", nil); st != 200 {
			t.Errorf("key %s: got %d", key.SigningKey.ID, st)
		}
	}
	var status map[string]string
	if st := in.Admin(t, "DELETE", "/v1/signing-keys/"+k.SigningKey.ID, nil, &status); st != 200 || status["status"] != "ok" {
		t.Errorf("delete: %d %v", st, status)
	}
	if st, body, _ := fetch(t, in.URL+"/media/media/films/a.mp4?auth="+signWith(t, k, token.Claims{}), "", nil); st != 403 || !strings.Contains(body, "unknown_key") {
		t.Errorf("deleted key: got %d %s", st, body)
	}
	if st, _, _ := fetch(t, in.URL+"/media/media/films/a.mp4?auth="+signWith(t, k2, token.Claims{}), "", nil); st != 200 {
		t.Errorf("remaining key: got %d", st)
	}

	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"GET", "/v1/signing-keys/" + k.SigningKey.ID, nil, 404},
		{"DELETE", "/v1/signing-keys/" + k.SigningKey.ID, nil, 404},
		{"GET", "/v1/signing-keys/not-an-id", nil, 404},
		{"POST", "/v1/signing-keys", map[string]string{"bucket": "nope"}, 404},
		{"POST", "/v1/signing-keys", map[string]string{"bucket": "Bad Name"}, 400},
		{"POST", "/v1/signing-keys", map[string]string{}, 400},
		{"POST", "/v1/signing-keys", map[string]string{"bucket": "media", "bits": "1"}, 400},
		{"PUT", "/v1/signing-keys/" + k2.SigningKey.ID, map[string]string{"name": "a\x00b"}, 400},
	} {
		if st := in.Admin(t, tc.method, tc.path, tc.body, nil); st != tc.status {
			t.Errorf("%s %s %v: got %d, want %d", tc.method, tc.path, tc.body, st, tc.status)
		}
	}
}

// TestKeysOfDeletedBucket: a bucket deleted and made again under the same
// name is not opened by its predecessor's keys, and they leave the list.
func TestKeysOfDeletedBucket(t *testing.T) {
	t.Parallel()
	// Bucket creation times have one-second precision: the clock is moved
	// on rather than waited for.
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	in := startApp(t, nil, app.WithClock(func() time.Time { return time.Unix(clock.Load(), 0) }))
	dir := mediaDir(t)
	old := makeBucket(t, in, "media", "file://"+dir)
	tok := signWith(t, old, token.Claims{})
	if st := in.Admin(t, "DELETE", "/v1/buckets/media", nil, nil); st != 200 {
		t.Fatalf("delete bucket: %d", st)
	}
	if st, _, _ := fetch(t, in.URL+"/media/media/films/a.mp4?auth="+tok, "", nil); st != 404 {
		t.Errorf("deleted bucket: got %d, want 404", st)
	}
	clock.Add(1)
	makeBucket(t, in, "media", "file://"+dir)
	if st, body, _ := fetch(t, in.URL+"/media/media/films/a.mp4?auth="+tok, "", nil); st != 403 || !strings.Contains(body, "unknown_key") {
		t.Errorf("old key on the new bucket: got %d %s, want 403 unknown_key", st, body)
	}
	testutil.Eventually(t, time.Second, "the old bucket's key leaves the list", func() bool {
		var list map[string][]map[string]any
		in.Admin(t, "GET", "/v1/signing-keys", nil, &list)
		for _, k := range list["signing_keys"] {
			if k["id"] == old.SigningKey.ID {
				return false
			}
		}
		return true
	})
}

// TestHTTPOriginNeverSeesToken: an upstream behind an http origin records
// what it received; neither the auth parameter nor the auth cookie may be
// in it.
func TestHTTPOriginNeverSeesToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*http.Request
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Clone(r.Context()))
		mu.Unlock()
		w.Header().Set("Content-Type", "video/mp4")
		w.Write([]byte("upstream bytes"))
	}))
	defer upstream.Close()
	in := startApp(t, nil)
	k := makeBucket(t, in, "remote", upstream.URL+"/prefix")
	tok := signWith(t, k, token.Claims{URI: "/films/", ExpiresAt: time.Now().Add(time.Hour)})

	st, body, hdr := fetch(t, in.URL+"/media/remote/films/a.mp4?v=2&auth="+tok, "", map[string]string{
		"Cookie": "gateway_auth=" + tok + "; theme=dark",
	})
	if st != 200 || body != "upstream bytes" {
		t.Fatalf("got %d %q", st, body)
	}
	if hdr.Get("Cache-Control") != "private" {
		t.Errorf("Cache-Control %q, want private", hdr.Get("Cache-Control"))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests", len(got))
	}
	r := got[0]
	if r.URL.Path != "/prefix/films/a.mp4" || strings.Contains(r.URL.RawQuery, "auth") || strings.Contains(r.URL.RawQuery, tok) {
		t.Errorf("upstream got %s?%s, want /prefix/films/a.mp4 without auth", r.URL.Path, r.URL.RawQuery)
	}
	if c := r.Header.Get("Cookie"); strings.Contains(c, "gateway_auth") || strings.Contains(c, tok) {
		t.Errorf("upstream got cookie %q", c)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			if strings.Contains(v, tok) {
				t.Errorf("upstream header %s carries the token", k)
			}
		}
	}
}

func TestCustomDomains(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	dir := mediaDir(t)
	k := makeBucket(t, in, "media", "file://"+dir)
	var d map[string]map[string]string
	if st := in.Admin(t, "POST", "/v1/domains", map[string]string{"domain": "Media.Example.COM", "bucket": "media"}, &d); st != 201 {
		t.Fatalf("create domain: %d %v", st, d)
	}
	id := d["domain"]["id"]
	if d["domain"]["domain"] != "media.example.com" || id == "" || d["domain"]["created"] == "" {
		t.Errorf("got %v", d)
	}
	for _, tc := range []struct {
		body   map[string]string
		status int
	}{
		{map[string]string{"domain": "media.example.com", "bucket": "media"}, 409},
		{map[string]string{"domain": "media.example.com:443", "bucket": "media"}, 400},
		{map[string]string{"domain": "https://x.example.com", "bucket": "media"}, 400},
		{map[string]string{"domain": "bad_label.example.com", "bucket": "media"}, 400},
		{map[string]string{"domain": "10.0.0.1", "bucket": "media"}, 400},
		{map[string]string{"domain": "gateway.test", "bucket": "media"}, 400},
		{map[string]string{"domain": "x.example.com", "bucket": "nope"}, 404},
		{map[string]string{"domain": "", "bucket": "media"}, 400},
	} {
		if st := in.Admin(t, "POST", "/v1/domains", tc.body, nil); st != tc.status {
			t.Errorf("%v: got %d, want %d", tc.body, st, tc.status)
		}
	}
	if st := in.Admin(t, "GET", "/v1/domains/"+id, nil, nil); st != 200 {
		t.Errorf("get domain: %d", st)
	}
	var list map[string][]map[string]string
	if in.Admin(t, "GET", "/v1/domains", nil, &list); len(list["domains"]) != 1 {
		t.Errorf("list: %v", list)
	}

	tok := signWith(t, k, token.Claims{URI: "/films/"})
	for _, tc := range []struct {
		name, host, path string
		status           int
		body             string
	}{
		{"custom domain root is the bucket", "media.example.com", "/films/a.mp4?auth=" + tok, 200, "film a bytes"},
		{"Host with port and capitals", "MEDIA.example.com:8443", "/films/a.mp4?auth=" + tok, 200, "film a bytes"},
		{"no token", "media.example.com", "/films/a.mp4", 401, ""},
		{"out of scope", "media.example.com", "/show/ep1/seg0.ts?auth=" + tok, 403, ""},
		{"dot segments", "media.example.com", "/films/../show/ep1/seg0.ts?auth=" + tok, 400, ""},
		{"/media/ on a custom domain is a path in the bucket", "media.example.com", "/media/media/films/a.mp4?auth=" + tok, 403, ""},
		{"unknown host falls to the gateway's routes", "other.example.com", "/media/media/films/a.mp4?auth=" + tok, 200, "film a bytes"},
		{"own host is not a custom domain", "gateway.test", "/films/a.mp4", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", in.URL+"/", nil)
			req.URL.Opaque = tc.path
			req.Host = tc.host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || (tc.body != "" && string(body) != tc.body) {
				t.Errorf("got %d %q, want %d %q", res.StatusCode, body, tc.status, tc.body)
			}
		})
	}

	// A playlist on the domain scopes its cookie to the domain's paths.
	streamTok := signWith(t, k, token.Claims{URI: "/show/ep1/", ExpiresAt: time.Now().Add(time.Hour)})
	st, body, hdr := fetch(t, in.URL+"/show/ep1/master.m3u8?auth="+streamTok, "media.example.com", nil)
	if st != 200 || !strings.Contains(body, "seg0.ts?auth=") {
		t.Fatalf("playlist on the domain: %d %q", st, body)
	}
	if sc := hdr.Get("Set-Cookie"); !strings.Contains(sc, "Path=/show/ep1;") {
		t.Errorf("cookie on the domain: %q, want Path=/show/ep1", sc)
	}
	if st, _, _ := fetch(t, in.URL+"/show/ep1/seg0.ts", "media.example.com", map[string]string{"Cookie": "gateway_auth=" + streamTok}); st != 200 {
		t.Errorf("segment by cookie on the domain: %d", st)
	}

	// The domain of a deleted bucket answers 404.
	if st := in.Admin(t, "DELETE", "/v1/buckets/media", nil, nil); st != 200 {
		t.Fatal(st)
	}
	if st, body, _ := fetch(t, in.URL+"/films/a.mp4?auth="+tok, "media.example.com", nil); st != 404 {
		t.Errorf("domain of a deleted bucket: got %d %s", st, body)
	}
	if st := in.Admin(t, "DELETE", "/v1/domains/"+id, nil, nil); st != 200 {
		t.Errorf("delete domain: %d", st)
	}
	if st := in.Admin(t, "GET", "/v1/domains/"+id, nil, nil); st != 404 {
		t.Errorf("deleted domain: %d", st)
	}
}

// TestPlaylistThenSegment follows a player through the app: the playlist
// with ?auth= sets the cookie and names its segments with the token; the
// segment loads either way.
func TestPlaylistThenSegment(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	k := makeBucket(t, in, "media", "file://"+mediaDir(t))
	tok := signWith(t, k, token.Claims{URI: "/show/ep1/", ExpiresAt: time.Now().Add(time.Hour)})
	st, body, hdr := fetch(t, in.URL+"/media/media/show/ep1/master.m3u8?auth="+tok, "", nil)
	if st != 200 {
		t.Fatalf("playlist: %d %s", st, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.apple.mpegurl") {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(body, "seg0.ts?auth="+tok) {
		t.Errorf("playlist not rewritten: %q", body)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == "gateway_auth" {
			cookie = c
		}
	}
	if cookie == nil || cookie.Path != "/media/media/show/ep1" {
		t.Fatalf("cookie %+v", cookie)
	}
	if st, body, _ := fetch(t, in.URL+"/media/media/show/ep1/seg0.ts", "", map[string]string{"Cookie": cookie.Name + "=" + cookie.Value}); st != 200 || body != "segment zero" {
		t.Errorf("segment by cookie: %d %q", st, body)
	}
	if st, body, _ := fetch(t, in.URL+"/media/media/show/ep1/seg0.ts?auth="+tok, "", map[string]string{"Range": "bytes=0-6"}); st != 206 || body != "segment" {
		t.Errorf("segment by rewritten URL with Range: %d %q", st, body)
	}
}
