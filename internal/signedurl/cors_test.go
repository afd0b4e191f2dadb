package signedurl_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

const (
	player = "https://player.example.com"
	other  = "https://other.example.com"
)

// freshConn follows no redirect and opens a connection for every request:
// the fast lane reads only the first request of a connection it does not
// answer, so each request here meets it.
var freshConn = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true},
	CheckRedirect: noRedirect.CheckRedirect,
}

// send sends method to url with headers on a new connection.
func send(t *testing.T, method, url string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := freshConn.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

func codeOf(body string) string {
	var b struct{ Code string }
	_ = json.Unmarshal([]byte(body), &b)
	return b.Code
}

// TestBaseCORS: a base's cors rule answers preflights for its path
// without a signature, grants its links to listed origins (refusals
// included, on the fast lane's path too), and the output the link
// redirects to can be read from that origin, so fetch() of a link works
// end to end.
func TestBaseCORS(t *testing.T) {
	g := startGateway(t, nil)
	const secret = "cors-secret-0123456789"
	var created map[string]map[string]any
	if st := g.Admin(t, "POST", "/v1/signed-url-bases", map[string]any{"id": "conv", "signing_secret": secret,
		"cors": map[string]any{"allowed_origins": []string{"HTTPS://Player.Example.com/"}, "max_age": 60}}, &created); st != 201 {
		t.Fatalf("create base: %d %v", st, created)
	}
	if c, _ := created["signed_url_base"]["cors"].(map[string]any); fmt.Sprint(c["allowed_origins"]) != "["+player+"]" {
		t.Errorf("created base shows cors %v", created["signed_url_base"]["cors"])
	}
	g.createBase(t, map[string]string{"id": "plain", "signing_secret": secret})

	// Preflights: no signature needed; other origins and bases without
	// a rule get no grant.
	pre := func(origin string) map[string]string {
		return map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
	}
	st, _, h := send(t, "OPTIONS", g.URL+"/conv", pre(player))
	if st != 204 || h.Get("Access-Control-Allow-Origin") != player || h.Get("Access-Control-Allow-Methods") != "GET, HEAD" ||
		h.Get("Access-Control-Allow-Headers") != "Range" || h.Get("Access-Control-Max-Age") != "60" {
		t.Errorf("preflight: %d %v", st, h)
	}
	for name, url := range map[string]string{"other origin": g.URL + "/conv", "base without cors": g.URL + "/plain"} {
		origin := player
		if name == "other origin" {
			origin = other
		}
		if st, body, h := send(t, "OPTIONS", url, pre(origin)); st != 403 || codeOf(body) != "CORS_NOT_ALLOWED" || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %s %v", name, st, body, h)
		}
	}

	job := fmt.Sprintf(`{"tasks":{"in":{"operation":"import/base64","file":%q,"filename":"a.txt"},"out":{"operation":"export/url","input":"in"}}}`,
		base64.StdEncoding.EncodeToString([]byte("hello")))
	link := urlsig.Sign(g.URL+"/conv", secret, []byte(job), "k1")
	var loc string
	testutil.Eventually(t, 30*time.Second, "the link redirects to its output", func() bool {
		st, _, h := send(t, "GET", link, map[string]string{"Origin": player})
		if h.Get("Access-Control-Allow-Origin") != player || !strings.Contains(h.Get("Vary"), "Origin") ||
			h.Get("Access-Control-Expose-Headers") != "X-Job-Id, Retry-After" {
			t.Fatalf("link from a listed origin: %d %v", st, h)
		}
		loc = h.Get("Location")
		return st == http.StatusFound
	})

	// Cached now: a request without Origin is answered on the fast lane
	// (with Vary), and one with Origin, which the lane leaves to net/http,
	// still gets its grant.
	if st, _, h := send(t, "GET", link, nil); st != 302 || h.Get("X-Cache") != "hit" || h.Get("Vary") != "Origin" || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("cached link, no Origin: %d %v", st, h)
	}
	if st, _, h := send(t, "GET", link, map[string]string{"Origin": player}); st != 302 || h.Get("Access-Control-Allow-Origin") != player {
		t.Errorf("cached link from a listed origin: %d %v", st, h)
	}
	if st, _, h := send(t, "GET", link, map[string]string{"Origin": other}); st != 302 || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Vary") != "Origin" {
		t.Errorf("cached link from another origin: %d %v", st, h)
	}
	// A refusal carries the grant, so the page can read it.
	if st, body, h := send(t, "GET", link[:len(link)-4]+"0000", map[string]string{"Origin": player}); st/100 != 4 || h.Get("Access-Control-Allow-Origin") != player {
		t.Errorf("bad signature: %d %s %v", st, body, h)
	}

	// The output the link points at.
	if st, body, h := send(t, "GET", loc, map[string]string{"Origin": player}); st != 200 || body != "hello" || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("output from another origin: %d %q %v", st, body, h)
	}
	if st, _, h := send(t, "OPTIONS", loc, pre(player)); st != 204 || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Headers") != "Range" {
		t.Errorf("output preflight: %d %v", st, h)
	}

	var out map[string]string
	if st := g.Admin(t, "POST", "/v1/signed-url-bases", map[string]any{"id": "bad", "signing_secret": secret,
		"cors": map[string]any{"allowed_origins": []string{"*"}, "allow_credentials": true}}, &out); st != 400 || out["code"] != "INVALID_CORS" {
		t.Errorf("wildcard with credentials: %d %v, want 400 INVALID_CORS", st, out)
	}
}
