package proxy

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify/token"
)

// rewriteStub stands in for RewritePlaylist: it adds the token to
// every line that names a segment.
func rewriteStub(body []byte, tok string) []byte {
	lines := strings.Split(string(body), "\n")
	for i, l := range lines {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines[i] = l + "?auth=" + tok
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// TestPlaylistCookie opens a playlist with ?auth= in a client with a
// cookie jar, as a browser would, then loads its segments without ?auth=.
func TestPlaylistCookie(t *testing.T) {
	f := newFixture(t, func(h *Handler) { h.SecureCookie = false })
	tok := sign(t, privA, "kid-a", token.Claims{URI: "/show/ep1/", ExpiresAt: t0.Add(10 * time.Minute)})
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}

	res, err := client.Get(f.srv.URL + "/media/media/show/ep1/master.m3u8?auth=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("playlist: got %d", res.StatusCode)
	}
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == CookieName {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no %s cookie in %q", CookieName, res.Header.Values("Set-Cookie"))
	}
	if ck.Path != "/media/media/show/ep1" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 600 || ck.Secure {
		t.Errorf("cookie %+v: want Path=/media/media/show/ep1, HttpOnly, SameSite=Lax, Max-Age=600, not Secure", ck)
	}

	for _, seg := range []string{"seg0.ts", "seg1.ts"} {
		res, err := client.Get(f.srv.URL + "/media/media/show/ep1/" + seg)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: got %d, want 200", seg, res.StatusCode)
		}
		if got := f.origin.last(); got.Cookie != "" {
			t.Errorf("%s: the origin got cookie %q", seg, got.Cookie)
		}
	}
	// The cookie is not sent outside the scope, and would not open it.
	res, err = client.Get(f.srv.URL + "/media/media/show/ep2/seg0.ts")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("other episode: got %d, want 401", res.StatusCode)
	}
	u, _ := url.Parse(f.srv.URL + "/media/media/show/ep2/seg0.ts")
	if a := get(t, f.srv, u.Path, map[string]string{"Cookie": CookieName + "=" + tok}); a.status != 403 || codeOf(a.body) != "out_of_scope" {
		t.Errorf("cookie sent out of scope: got %d %s", a.status, a.body)
	}
}

func TestPlaylistCookieAttributes(t *testing.T) {
	f := newFixture(t, func(h *Handler) { h.SecureCookie = true })
	for _, tc := range []struct {
		name, path string
		claims     token.Claims
		want       string // "" means no cookie
	}{
		{"whole bucket", "/show/ep1/master.m3u8", token.Claims{}, "Path=/media/media;"},
		{"dash manifest", "/show/ep1/manifest.mpd", token.Claims{URI: "/show/"}, "Path=/media/media/show;"},
		{"no cookie for a segment", "/show/ep1/seg0.ts", token.Claims{}, ""},
		{"no cookie when exp is gone", "/show/ep1/master.m3u8", token.Claims{ExpiresAt: t0.Add(-10 * time.Second)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, f.srv, "/media/media"+tc.path+"?auth="+sign(t, privA, "kid-a", tc.claims), nil)
			if a.status != 200 {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			sc := a.header.Get("Set-Cookie")
			if tc.want == "" {
				if sc != "" {
					t.Errorf("got Set-Cookie %q, want none", sc)
				}
				return
			}
			// An https public URL: the cookie goes with cross-site
			// requests too (see TestPlaylistCookieSameSite).
			for _, part := range []string{tc.want, "HttpOnly", "Secure", "SameSite=None"} {
				if !strings.Contains(sc+";", part) {
					t.Errorf("Set-Cookie %q lacks %q", sc, part)
				}
			}
			if strings.Contains(sc, "Max-Age") {
				t.Errorf("a token without exp gives a session cookie, got %q", sc)
			}
		})
	}
}

// TestPlaylistCookieSameSite: the playlist cookie is SameSite=None and
// Secure when the request came over TLS or the public URL is https, so
// that players on other sites send it; over plain HTTP it stays Lax, for
// browsers drop SameSite=None cookies that are not Secure. A client's
// X-Forwarded-Proto changes nothing.
func TestPlaylistCookieSameSite(t *testing.T) {
	plain := newFixture(t, func(h *Handler) { h.SecureCookie = false })
	overTLS := httptest.NewTLSServer(plain.srv.Config.Handler)
	t.Cleanup(overTLS.Close)
	httpsURL := newFixture(t, func(h *Handler) { h.SecureCookie = true })

	tok := sign(t, privA, "kid-a", token.Claims{URI: "/show/ep1/"})
	for _, tc := range []struct {
		name     string
		srv      *httptest.Server
		hdr      map[string]string
		sameSite http.SameSite
		secure   bool
	}{
		{"plain HTTP, http public URL", plain.srv, nil, http.SameSiteLaxMode, false},
		{"X-Forwarded-Proto is not trusted", plain.srv, map[string]string{"X-Forwarded-Proto": "https"}, http.SameSiteLaxMode, false},
		{"TLS to the gateway", overTLS, nil, http.SameSiteNoneMode, true},
		{"https public URL, TLS ended in front", httpsURL.srv, nil, http.SameSiteNoneMode, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := get(t, tc.srv, "/media/media/show/ep1/master.m3u8?auth="+tok, tc.hdr)
			if a.status != 200 {
				t.Fatalf("got %d %s", a.status, a.body)
			}
			res := http.Response{Header: a.header}
			cookies := res.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("Set-Cookie %q, want one cookie", a.header.Values("Set-Cookie"))
			}
			if ck := cookies[0]; ck.SameSite != tc.sameSite || ck.Secure != tc.secure || !ck.HttpOnly {
				t.Errorf("cookie %q: want SameSite %v, Secure %v, HttpOnly", a.header.Get("Set-Cookie"), tc.sameSite, tc.secure)
			}
		})
	}
}

// TestPlaylistRewrite: with rewriting on, the playlist body carries the
// token, is never stored by a cache, and its length is the new body's.
func TestPlaylistRewrite(t *testing.T) {
	f := newFixture(t, func(h *Handler) { h.Rewrite = rewriteStub })
	tok := sign(t, privA, "kid-a", token.Claims{URI: "/show/ep1/"})
	a := get(t, f.srv, "/media/media/show/ep1/master.m3u8?auth="+tok, map[string]string{"Range": "bytes=0-3", "If-None-Match": `"v1"`})
	if a.status != 200 {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	if want := string(rewriteStub([]byte(playlist), tok)); a.body != want {
		t.Errorf("body %q, want %q", a.body, want)
	}
	if a.header.Get("Cache-Control") != "private, no-store" || a.header.Get("ETag") != "" {
		t.Errorf("headers %v: want no-store and no ETag", a.header)
	}
	if a.header.Get("Set-Cookie") == "" {
		t.Error("the rewritten playlist lost its cookie")
	}
	// Without ?auth= (cookie only) the playlist is served as stored.
	a = get(t, f.srv, "/media/media/show/ep1/master.m3u8", map[string]string{"Cookie": CookieName + "=" + tok})
	if a.status != 200 || a.body != playlist {
		t.Errorf("cookie request: got %d %q", a.status, a.body)
	}
	// Larger than the limit: passed through unchanged.
	f2 := newFixture(t, func(h *Handler) { h.Rewrite = rewriteStub; h.MaxPlaylistBytes = 10 })
	if a := get(t, f2.srv, "/media/media/show/ep1/master.m3u8?auth="+tok, nil); a.status != 200 || a.body != playlist {
		t.Errorf("oversized: got %d %q", a.status, a.body)
	}
}
