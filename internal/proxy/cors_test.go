package proxy_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/verify/token"
)

const (
	player = "https://player.example.com"
	other  = "https://other.example.com"
)

// answerTo sends method to url with an optional Host and headers.
func answerTo(t *testing.T, method, url, host string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

// corsBucket makes an authenticated bucket whose cors is rule, and a key.
func corsBucket(t *testing.T, in *apptest.Gateway, name, origin string, rule map[string]any) keyAnswer {
	t.Helper()
	k := makeBucket(t, in, name, origin)
	var out json.RawMessage
	if st := in.Admin(t, "PUT", "/v1/buckets/"+name, map[string]any{"origin": origin, "cors": rule}, &out); st != 200 {
		t.Fatalf("set cors: %d %s", st, out)
	}
	return k
}

func preflightHeaders(origin string) map[string]string {
	return map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
}

func varies(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for item := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(item), name) {
				return true
			}
		}
	}
	return false
}

// TestCORSPreflight: a preflight is answered 204 without a token, from
// the bucket's rule alone; an origin not on the list, or a bucket without
// a rule, gets 403 CORS_NOT_ALLOWED and no grant.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	dir := mediaDir(t)
	corsBucket(t, in, "media", "file://"+dir, map[string]any{"allowed_origins": []string{player}, "allow_credentials": true, "max_age": 300})
	makeBucket(t, in, "plain", "file://"+dir)
	url := in.URL + "/media/media/show/ep1/master.m3u8"

	st, body, h := answerTo(t, "OPTIONS", url, "", preflightHeaders(player))
	if st != 204 || body != "" {
		t.Fatalf("preflight: %d %q, want 204 and no body", st, body)
	}
	for name, want := range map[string]string{
		"Access-Control-Allow-Origin":      player,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, HEAD",
		"Access-Control-Allow-Headers":     "Range",
		"Access-Control-Max-Age":           "300",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if !varies(h, "Origin") {
		t.Errorf("Vary %q lacks Origin", h.Values("Vary"))
	}

	for _, tc := range []struct {
		name, url, origin string
	}{
		{"origin not on the list", url, other},
		{"bucket without cors", in.URL + "/media/plain/films/a.mp4", player},
	} {
		st, body, h := answerTo(t, "OPTIONS", tc.url, "", preflightHeaders(tc.origin))
		if st != 403 || codeOf(body) != "CORS_NOT_ALLOWED" {
			t.Errorf("%s: %d %s, want 403 CORS_NOT_ALLOWED", tc.name, st, body)
		}
		if got := h.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s: Allow-Origin %q", tc.name, got)
		}
	}
	// OPTIONS that is not a preflight is a method delivery does not serve.
	if st, body, _ := answerTo(t, "OPTIONS", url, "", map[string]string{"Origin": player}); st != 405 {
		t.Errorf("OPTIONS without Access-Control-Request-Method: %d %s, want 405", st, body)
	}
}

func codeOf(body string) string {
	var b struct{ Code string }
	_ = json.Unmarshal([]byte(body), &b)
	return b.Code
}

// TestCORSActualRequests: an authorised GET from a listed origin is
// granted (the origin, credentials, exposed headers, Vary); another origin
// gets the file but no grant, which the browser then withholds from the
// page; a request without Origin gets Vary only.
func TestCORSActualRequests(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	k := corsBucket(t, in, "media", "file://"+mediaDir(t), map[string]any{"allowed_origins": []string{player, "http://localhost:3000"}, "allow_credentials": true})
	url := in.URL + "/media/media/films/a.mp4?auth=" + signWith(t, k, tokenClaimsAll())

	st, body, h := answerTo(t, "GET", url, "", map[string]string{"Origin": player, "Range": "bytes=0-3"})
	if st != 206 || body != "film" {
		t.Fatalf("listed origin: %d %q", st, body)
	}
	if got := h.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != player {
		t.Errorf("Allow-Origin %q, want %s alone", got, player)
	}
	if got := h.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("Allow-Credentials %q", got)
	}
	if got := h.Get("Access-Control-Expose-Headers"); got != "Content-Range, Content-Length, Accept-Ranges, ETag" {
		t.Errorf("Expose-Headers %q", got)
	}
	if !varies(h, "Origin") || h.Get("Cache-Control") != "private" {
		t.Errorf("Vary %q, Cache-Control %q: want Origin and private", h.Values("Vary"), h.Get("Cache-Control"))
	}

	for name, hdr := range map[string]map[string]string{
		"origin not on the list": {"Origin": other},
		"no Origin":              nil,
	} {
		st, body, h := answerTo(t, "GET", url, "", hdr)
		if st != 200 || body != "film a bytes" {
			t.Errorf("%s: %d %q", name, st, body)
		}
		if got := h.Get("Access-Control-Allow-Origin") + h.Get("Access-Control-Allow-Credentials"); got != "" {
			t.Errorf("%s: granted %q", name, got)
		}
		if !varies(h, "Origin") {
			t.Errorf("%s: Vary %q lacks Origin", name, h.Values("Vary"))
		}
	}
}

// TestCORSOnRefusals: 401, 403 and 404 answers of a bucket with a rule
// carry the grant, so that a player's script can read why it was refused.
func TestCORSOnRefusals(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	k := corsBucket(t, in, "media", "file://"+mediaDir(t), map[string]any{"allowed_origins": []string{player}})
	expired := signWith(t, k, token.Claims{ExpiresAt: time.Now().Add(-time.Hour)})
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
	}{
		{"no token", "/films/a.mp4", 401, "token_missing"},
		{"expired token", "/films/a.mp4?auth=" + expired, 403, "expired"},
		{"bad token", "/films/a.mp4?auth=not-a-jwt", 403, "malformed_token"},
		{"no such file", "/films/none.mp4?auth=" + signWith(t, k, tokenClaimsAll()), 404, ""},
	} {
		st, body, h := answerTo(t, "GET", in.URL+"/media/media"+tc.path, "", map[string]string{"Origin": player})
		if st != tc.status || (tc.code != "" && codeOf(body) != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, st, body, tc.status, tc.code)
		}
		if got := h.Get("Access-Control-Allow-Origin"); got != player || !varies(h, "Origin") {
			t.Errorf("%s: Allow-Origin %q, Vary %q", tc.name, got, h.Values("Vary"))
		}
	}
}

// TestCORSWildcard: "*" grants every origin, without credentials; with
// credentials it is refused when the bucket is written, as is any origin
// that is not scheme://host[:port]. GET shows the rule normalised.
func TestCORSWildcard(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	dir := mediaDir(t)
	put := func(body map[string]any) (int, map[string]any) {
		var out map[string]any
		st := in.Admin(t, "PUT", "/v1/buckets/open", body, &out)
		return st, out
	}
	if st, out := put(map[string]any{"origin": "file://" + dir, "cors": map[string]any{"allowed_origins": []string{"*"}}}); st != 201 {
		t.Fatalf("wildcard: %d %v", st, out)
	}
	st, _, h := answerTo(t, "GET", in.URL+"/media/open/films/a.mp4", "", map[string]string{"Origin": other})
	if st != 200 || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("wildcard: %d Allow-Origin %q Allow-Credentials %q, want 200 * and none", st, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
	}

	for name, rule := range map[string]map[string]any{
		"wildcard with credentials": {"allowed_origins": []string{"*"}, "allow_credentials": true},
		"an origin with a path":     {"allowed_origins": []string{"https://player.example.com/app"}},
		"no origins":                {"allowed_origins": []string{}},
		"max_age over a day":        {"allowed_origins": []string{player}, "max_age": 86401},
	} {
		if st, out := put(map[string]any{"origin": "file://" + dir, "cors": rule}); st != 400 || out["code"] != "INVALID_CORS" {
			t.Errorf("%s: %d %v, want 400 INVALID_CORS", name, st, out)
		}
	}

	if st, out := put(map[string]any{"origin": "file://" + dir, "cors": map[string]any{
		"allowed_origins": []string{"HTTPS://Player.Example.com:443/", "http://localhost:3000"}, "allow_credentials": true}}); st != 200 {
		t.Fatalf("list: %d %v", st, out)
	}
	var got struct {
		Bucket struct {
			CORS struct {
				AllowedOrigins   []string `json:"allowed_origins"`
				AllowCredentials bool     `json:"allow_credentials"`
				MaxAge           int      `json:"max_age"`
			} `json:"cors"`
		} `json:"bucket"`
	}
	in.Admin(t, "GET", "/v1/buckets/open", nil, &got)
	if c := got.Bucket.CORS; strings.Join(c.AllowedOrigins, " ") != player+" http://localhost:3000" || !c.AllowCredentials || c.MaxAge != 600 {
		t.Errorf("GET shows cors %+v", c)
	}
	// PUT without "cors" removes it.
	put(map[string]any{"origin": "file://" + dir})
	if _, _, h := answerTo(t, "GET", in.URL+"/media/open/films/a.mp4", "", map[string]string{"Origin": player}); h.Get("Access-Control-Allow-Origin") != "" || varies(h, "Origin") {
		t.Errorf("after cors was removed: %v", h)
	}
}

// TestCORSOnCustomDomain: a custom domain answers with its bucket's rule,
// preflights included.
func TestCORSOnCustomDomain(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	k := corsBucket(t, in, "media", "file://"+mediaDir(t), map[string]any{"allowed_origins": []string{player}})
	if st := in.Admin(t, "POST", "/v1/domains", map[string]string{"domain": "media.example.com", "bucket": "media"}, nil); st != 201 {
		t.Fatalf("create domain: %d", st)
	}
	st, _, h := answerTo(t, "OPTIONS", in.URL+"/films/a.mp4", "media.example.com", preflightHeaders(player))
	if st != 204 || h.Get("Access-Control-Allow-Origin") != player {
		t.Errorf("preflight on the domain: %d %v", st, h)
	}
	st, body, h := answerTo(t, "GET", in.URL+"/films/a.mp4?auth="+signWith(t, k, tokenClaimsAll()), "media.example.com", map[string]string{"Origin": player})
	if st != 200 || body != "film a bytes" || h.Get("Access-Control-Allow-Origin") != player || !varies(h, "Origin") {
		t.Errorf("GET on the domain: %d %q %v", st, body, h)
	}
	if st, _, h := answerTo(t, "GET", in.URL+"/films/a.mp4", "media.example.com", map[string]string{"Origin": player}); st != 401 || h.Get("Access-Control-Allow-Origin") != player {
		t.Errorf("401 on the domain: %d %v", st, h)
	}
}

// TestCORSOverHTTPOrigin: an upstream's own CORS headers never reach the
// client next to the bucket's (browsers refuse two Allow-Origin values),
// and an origin the bucket does not list is not granted by the upstream's
// "*" either.
func TestCORSOverHTTPOrigin(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "X-Upstream")
		w.Header().Set("Vary", "Accept-Encoding")
		w.Write([]byte("upstream bytes"))
	}))
	defer upstream.Close()
	in := startApp(t, nil)
	k := corsBucket(t, in, "remote", upstream.URL, map[string]any{"allowed_origins": []string{player}})
	url := in.URL + "/media/remote/a.mp4?auth=" + signWith(t, k, tokenClaimsAll())

	_, _, h := answerTo(t, "GET", url, "", map[string]string{"Origin": player})
	if got := h.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != player {
		t.Errorf("listed origin: Allow-Origin %q, want %s alone", got, player)
	}
	if got := h.Values("Access-Control-Expose-Headers"); len(got) != 1 || strings.Contains(got[0], "X-Upstream") {
		t.Errorf("Expose-Headers %q", got)
	}
	if !varies(h, "Origin") || !varies(h, "Accept-Encoding") {
		t.Errorf("Vary %q, want Origin and the upstream's Accept-Encoding", h.Values("Vary"))
	}
	if _, _, h := answerTo(t, "GET", url, "", map[string]string{"Origin": other}); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin: Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
	}
}

// TestCrossOriginHLSWithoutCookie: a player on another site that sends no
// cookie (hls.js without credentials) still loads every segment: the
// rewritten playlist carries the token in its child URIs, and each answer
// grants the player's origin.
func TestCrossOriginHLSWithoutCookie(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	k := corsBucket(t, in, "media", "file://"+mediaDir(t), map[string]any{"allowed_origins": []string{player}})
	tok := signWith(t, k, token.Claims{URI: "/show/ep1/", ExpiresAt: time.Now().Add(time.Hour)})
	base := in.URL + "/media/media/show/ep1/"
	st, body, h := answerTo(t, "GET", base+"master.m3u8?auth="+tok, "", map[string]string{"Origin": player})
	if st != 200 || h.Get("Access-Control-Allow-Origin") != player || h.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("playlist: %d %v", st, h)
	}
	var segments []string
	for line := range strings.SplitSeq(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			segments = append(segments, line)
		}
	}
	if len(segments) != 1 || !strings.Contains(segments[0], "auth=") {
		t.Fatalf("playlist %q: want its segment with the token", body)
	}
	st, body, h = answerTo(t, "GET", base+segments[0], "", map[string]string{"Origin": player})
	if st != 200 || body != "segment zero" || h.Get("Access-Control-Allow-Origin") != player {
		t.Errorf("segment without cookie: %d %q %v", st, body, h)
	}
}
