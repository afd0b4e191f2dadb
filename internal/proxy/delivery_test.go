package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/verify/token"
)

// TestRefusals is the spec's table of refusals, over real HTTP: the
// status, the stable code, no-store, and nothing reaching the origin.
func TestRefusals(t *testing.T) {
	refusals := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "refusals"}, []string{"flow", "reason"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(refusals)
	f := newFixture(t, func(h *Handler) { h.Refusals = refusals })
	pubPEM, err := token.PublicPEM(&privA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	films := token.Claims{URI: "/films/", ExpiresAt: t0.Add(time.Hour)}
	good := sign(t, privA, "kid-a", films)
	tampered := good[:len(good)-4] + "AAAA"
	if tampered == good {
		t.Fatal("tampering changed nothing")
	}
	f.keys.keys["kid-gone"] = token.Key{ID: "kid-gone", Bucket: "media", Public: &privA.PublicKey}
	deleted := sign(t, privA, "kid-gone", films)
	f.keys.delete("kid-gone")

	tests := []struct {
		name, target string
		status       int
		code         string
	}{
		{"missing token", "/media/media/films/a.mp4", 401, "token_missing"},
		{"empty auth", "/media/media/films/a.mp4?auth=", 401, "token_missing"},
		{"bad signature", "/media/media/films/a.mp4?auth=" + tampered, 403, "bad_signature"},
		{"signed by another key", "/media/media/films/a.mp4?auth=" + sign(t, privB, "kid-a", films), 403, "bad_signature"},
		{"expired", "/media/media/films/a.mp4?auth=" + sign(t, privA, "kid-a", token.Claims{ExpiresAt: t0.Add(-31 * time.Second)}), 403, "expired"},
		{"not yet valid", "/media/media/films/a.mp4?auth=" + sign(t, privA, "kid-a", token.Claims{NotBefore: t0.Add(31 * time.Second)}), 403, "not_yet_valid"},
		{"out of scope", "/media/media/show/ep1/seg0.ts?auth=" + good, 403, "out_of_scope"},
		{"scope is a segment boundary", "/media/media/filmsx/c.mp4?auth=" + good, 403, "out_of_scope"},
		{"other bucket's key", "/media/media/films/a.mp4?auth=" + sign(t, privB, "kid-b", films), 403, "wrong_bucket"},
		{"token of media on other", "/media/other/films/a.mp4?auth=" + good, 403, "wrong_bucket"},
		{"deleted key", "/media/media/films/a.mp4?auth=" + deleted, 403, "unknown_key"},
		{"unknown kid", "/media/media/films/a.mp4?auth=" + sign(t, privA, "kid-nope", films), 403, "unknown_key"},
		{"alg none", "/media/media/films/a.mp4?auth=" + rawJWT(t, map[string]any{"alg": "none", "kid": "kid-a", "typ": "JWT"}, map[string]any{"uri": "/films/"}, func(string) []byte { return nil }), 403, "bad_algorithm"},
		{"HS256 with the public key", "/media/media/films/a.mp4?auth=" + rawJWT(t, map[string]any{"alg": "HS256", "kid": "kid-a"}, map[string]any{"uri": "/films/"}, hs256(pubPEM)), 403, "bad_algorithm"},
		{"malformed", "/media/media/films/a.mp4?auth=not.a-token", 403, "malformed_token"},
		{"two parts", "/media/media/films/a.mp4?auth=abc.def", 403, "malformed_token"},
		{"two different auth values", "/media/media/films/a.mp4?auth=" + good + "&auth=x.y.z", 403, "malformed_token"},
		{"no bucket", "/media/nope/films/a.mp4?auth=" + good, 404, "NOT_FOUND"},
		{"bucket name not valid", "/media/NOPE/films/a.mp4", 404, "NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.origin.count()
			n := counted(t, reg, tc.code)
			a := get(t, f.srv, tc.target, nil)
			if a.status != tc.status || codeOf(a.body) != tc.code {
				t.Fatalf("got %d %s, want %d %s", a.status, a.body, tc.status, tc.code)
			}
			if tc.status != 404 && counted(t, reg, tc.code) != n+1 {
				t.Errorf("refusal %s not counted", tc.code)
			}
			if cc := a.header.Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("Cache-Control %q, want private, no-store", cc)
			}
			if strings.Contains(a.body, "eyJ") {
				t.Errorf("body echoes a token: %s", a.body)
			}
			if f.origin.count() != before {
				t.Error("a refused request reached the origin")
			}
		})
	}
}

// TestAccepted covers the scopes and claims that open a file.
func TestAccepted(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name, path string
		claims     token.Claims
	}{
		{"directory scope with slash", "/films/a.mp4", token.Claims{URI: "/films/"}},
		{"directory scope without slash", "/films/b.mp4", token.Claims{URI: "/films"}},
		{"directory without leading slash", "/films/a.mp4", token.Claims{URI: "films/"}},
		{"file scope", "/films/a.mp4", token.Claims{URI: "/films/a.mp4"}},
		{"empty scope is the whole bucket", "/show/ep2/seg0.ts", token.Claims{}},
		{"root scope", "/show/ep2/seg0.ts", token.Claims{URI: "/"}},
		{"custom claims are ignored", "/films/a.mp4", token.Claims{URI: "/films/", Extra: map[string]any{"user": "u1", "roles": []string{"a"}}}},
		{"expires within leeway", "/films/a.mp4", token.Claims{ExpiresAt: t0.Add(-29 * time.Second)}},
		{"valid within leeway before nbf", "/films/a.mp4", token.Claims{NotBefore: t0.Add(29 * time.Second)}},
		{"nbf and exp around now", "/films/a.mp4", token.Claims{NotBefore: t0.Add(-time.Minute), ExpiresAt: t0.Add(time.Minute)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(t, privA, "kid-a", tc.claims)
			a := get(t, f.srv, "/media/media"+tc.path+"?auth="+tok, nil)
			if a.status != 200 || a.body != testFiles[tc.path] {
				t.Fatalf("got %d %q, want 200 %q", a.status, a.body, testFiles[tc.path])
			}
			if cc := a.header.Get("Cache-Control"); cc != "private" {
				t.Errorf("Cache-Control %q, want private", cc)
			}
			if got := f.origin.last(); got.Path != tc.path || got.RawQuery != "" {
				t.Errorf("origin saw %+v, want path %s without query", got, tc.path)
			}
		})
	}
	// The file scope opens the file only, not what lies beside or below it.
	tok := sign(t, privA, "kid-a", token.Claims{URI: "/films/a.mp4"})
	if a := get(t, f.srv, "/media/media/films/b.mp4?auth="+tok, nil); a.status != 403 || codeOf(a.body) != "out_of_scope" {
		t.Errorf("file scope on a sibling: got %d %s", a.status, a.body)
	}
}

// TestLeewayEdges pins the exact instants: exp is exclusive, nbf
// inclusive, each widened by the leeway.
func TestLeewayEdges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		leeway time.Duration
		claims token.Claims
		status int
	}{
		{"exp plus leeway is now", 30 * time.Second, token.Claims{ExpiresAt: t0.Add(-30 * time.Second)}, 403},
		{"one second before exp plus leeway", 30 * time.Second, token.Claims{ExpiresAt: t0.Add(-29 * time.Second)}, 200},
		{"nbf minus leeway is now", 30 * time.Second, token.Claims{NotBefore: t0.Add(30 * time.Second)}, 200},
		{"one second before nbf minus leeway", 30 * time.Second, token.Claims{NotBefore: t0.Add(31 * time.Second)}, 403},
		{"no leeway: exp is now", 0, token.Claims{ExpiresAt: t0}, 403},
		{"no leeway: exp in a second", 0, token.Claims{ExpiresAt: t0.Add(time.Second)}, 200},
		{"no leeway: nbf is now", 0, token.Claims{NotBefore: t0}, 200},
		{"no leeway: nbf in a second", 0, token.Claims{NotBefore: t0.Add(time.Second)}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(h *Handler) { h.Leeway = tc.leeway })
			a := get(t, f.srv, "/media/media/films/a.mp4?auth="+sign(t, privA, "kid-a", tc.claims), nil)
			if a.status != tc.status {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tc.status)
			}
		})
	}
}

// TestPathTricks refuses every spelling that could leave the scope, on
// an authenticated bucket with a token scoped to /films/ and on a public
// bucket alike, before the origin is asked.
func TestPathTricks(t *testing.T) {
	f := newFixture(t, nil)
	tok := sign(t, privA, "kid-a", token.Claims{URI: "/films/"})
	tricks := []string{
		"/films/../show/ep1/seg0.ts",
		"/films/%2e%2e/show/ep1/seg0.ts",
		"/films/%2E%2E/show/ep1/seg0.ts",
		"/films/..%2Fshow/ep1/seg0.ts",
		"/films%2F..%2Fshow/ep1/seg0.ts",
		"/films%2fa.mp4",
		"/films/%252e%252e/show/ep1/seg0.ts",
		"/films/%252Fa.mp4",
		"/films/..%5Cshow/ep1/seg0.ts",
		"/films/./a.mp4",
		"/films//a.mp4",
		"/films/a.mp4/",
		"/films/..;/show/ep1/seg0.ts",
		"/films/%00a.mp4",
		"/films/%c0%ae%c0%ae/show/ep1/seg0.ts",
		"/films/...",
	}
	for _, bucketName := range []string{"media", "open"} {
		for _, p := range tricks {
			t.Run(bucketName+p, func(t *testing.T) {
				before := f.origin.count()
				a := get(t, f.srv, "/media/"+bucketName+p+"?auth="+tok, nil)
				if a.status != 400 && a.status != 404 {
					t.Fatalf("got %d %s, want 400 or 404", a.status, a.body)
				}
				if f.origin.count() != before {
					t.Errorf("origin was asked for %+v", f.origin.last())
				}
			})
		}
	}
}

func TestMethods(t *testing.T) {
	f := newFixture(t, func(h *Handler) { h.Rewrite = rewriteStub })
	tok := sign(t, privA, "kid-a", token.Claims{})
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/media/media/films/a.mp4?auth="+tok, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: got %d Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	// HEAD of a rewritten playlist announces the rewritten length.
	res, err = http.Head(f.srv.URL + "/media/media/show/ep1/master.m3u8?auth=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if want := int64(len(rewriteStub([]byte(playlist), tok))); res.StatusCode != 200 || res.ContentLength != want {
		t.Errorf("HEAD playlist: got %d length %d, want 200 length %d", res.StatusCode, res.ContentLength, want)
	}
}

func TestPublicBucketServedWithoutToken(t *testing.T) {
	f := newFixture(t, nil)
	a := get(t, f.srv, "/media/open/a.mp4", nil)
	if a.status != 200 || a.body != "public movie" {
		t.Fatalf("got %d %q", a.status, a.body)
	}
	// A token sent anyway is stripped as well.
	get(t, f.srv, "/media/open/a.mp4?x=1&auth=abc.def.ghi", map[string]string{"Cookie": CookieName + "=abc; keep=1"})
	if got := f.origin.last(); got.RawQuery != "x=1" || got.Cookie != "keep=1" {
		t.Errorf("origin saw %+v, want query x=1 and cookie keep=1", got)
	}
}

// TestTokenStripped checks the request the origin sees: no auth pair in
// any spelling, no auth cookie, other parameters and cookies untouched.
func TestTokenStripped(t *testing.T) {
	f := newFixture(t, nil)
	tok := sign(t, privA, "kid-a", token.Claims{URI: "/films/"})
	for _, tc := range []struct{ query, want string }{
		{"auth=" + tok, ""},
		{"a=1&auth=" + tok + "&b=2", "a=1&b=2"},
		{"auth=" + tok + "&auth=" + tok, ""},
		{"x=%zz&auth=" + tok, "x=%zz"},
		{"a=1;auth=" + tok + ";b=2", "a=1;b=2"},
		{"%61uth=" + tok + "&c=3", "c=3"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			a := get(t, f.srv, "/media/media/films/a.mp4?"+tc.query, map[string]string{"Cookie": "session=s1; " + CookieName + "=" + tok})
			if a.status != 200 {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			got := f.origin.last()
			if got.RawQuery != tc.want || got.Cookie != "session=s1" {
				t.Errorf("origin saw %+v, want query %q and cookie session=s1", got, tc.want)
			}
			if strings.Contains(got.RequestURI, tok) {
				t.Errorf("RequestURI carries the token: %s", got.RequestURI)
			}
		})
	}
}

// TestCacheControl: an authorised answer is private unless the origin
// already said something at least as strict, or the operator chose.
func TestCacheControl(t *testing.T) {
	for _, tc := range []struct{ origin, configured, want string }{
		{"", "private", "private"},
		{"public, max-age=3600", "private", "private"},
		{"no-store", "private", "no-store"},
		{"private, max-age=60", "private", "private, max-age=60"},
		{"public, max-age=60", "public, max-age=30", "public, max-age=30"},
	} {
		t.Run(tc.origin+"|"+tc.configured, func(t *testing.T) {
			f := newFixture(t, func(h *Handler) { h.CacheControl = tc.configured })
			f.h.Origins = originFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.origin != "" {
					w.Header().Set("Cache-Control", tc.origin)
				}
				w.Write([]byte("x"))
			})
			a := get(t, f.srv, "/media/media/films/a.mp4?auth="+sign(t, privA, "kid-a", token.Claims{}), nil)
			if got := a.header.Get("Cache-Control"); a.status != 200 || got != tc.want {
				t.Errorf("got %d Cache-Control %q, want %q", a.status, got, tc.want)
			}
		})
	}
}

// counted reads the delivery refusals counted for reason.
func counted(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["flow"] == "delivery" && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestHiddenNamesAreNeverDelivered(t *testing.T) {
	f := newFixture(t, nil)
	f.origin.files = map[string]string{
		"/ok.txt":              "visible",
		"/.private/secret.jpg": "private asset",
		"/.meta/upload/a.json": "metadata",
		"/a/.env":              "dotfile",
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/media/open/ok.txt", 200},
		{"/media/open/.private/secret.jpg", 404},
		{"/media/open/.meta/upload/a.json", 404},
		{"/media/open/a/.env", 404},
	} {
		got := get(t, f.srv, tc.path, nil)
		if got.status != tc.want {
			t.Errorf("GET %s: got %d, want %d", tc.path, got.status, tc.want)
		}
	}
	if n := f.origin.count(); n != 1 {
		t.Errorf("origin saw %d requests, want only the visible one", n)
	}
}

// TestEveryAnswerSaysNoSniff: answers of the origin, rewritten playlists
// and every refusal carry X-Content-Type-Options: nosniff, once.
func TestEveryAnswerSaysNoSniff(t *testing.T) {
	f := newFixture(t, func(h *Handler) { h.Rewrite = rewriteStub })
	tok := sign(t, privA, "kid-a", token.Claims{})
	other := sign(t, privB, "kid-b", token.Claims{})
	tests := []struct {
		target string
		hdr    map[string]string
		status int
	}{
		{"/media/open/a.mp4", nil, 200},
		{"/media/open/a.mp4", map[string]string{"Range": "bytes=0-1"}, 206},
		{"/media/open/a.mp4", map[string]string{"If-None-Match": `"v1"`}, 304},
		{"/media/media/films/a.mp4?auth=" + tok, nil, 200},
		{"/media/media/show/ep1/master.m3u8?auth=" + tok, nil, 200},
		{"/media/media/films/a.mp4", nil, 401},
		{"/media/media/films/a.mp4?auth=" + other, nil, 403},
		{"/media/nosuch/a.mp4", nil, 404},
		{"/media/open/a/../b.mp4", nil, 400},
		{"/media/open/missing.mp4", nil, 404},
	}
	for _, tt := range tests {
		a := get(t, f.srv, tt.target, tt.hdr)
		if a.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.target, a.status, tt.status)
		}
		if got := a.header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff once", tt.target, got)
		}
	}
}
