package proxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/signedgate/gateway/internal/testutil"
)

// playlistURL is the base every table case is resolved against.
const (
	playlistURL  = "https://gw.example/media/b/p.m3u8"
	playlistHost = "gw.example"
)

// browserTable is what Chromium's URL parser makes of each URI, resolved
// against playlistURL: "host" is new URL(uri, base).host, or "!error".
const browserTable = "testdata/browser_hosts.json"

var updateBrowserTable = flag.Bool("browser-table", false,
	"regenerate "+browserTable+" with headless Chromium (/usr/bin/chromium)")

type browserCase struct {
	URI  string `json:"uri"`
	Host string `json:"host"`
}

// curated are the URIs that matter, with whether they get the token.
var curated = []struct {
	uri   string
	token bool
}{
	// Authority forms browsers accept: never given the token.
	{`/\evil/x`, false},
	{`\\evil/x`, false},
	{`\/evil/x`, false},
	{`//evil/x`, false},
	{` //evil`, false},
	{"\t//evil", false},
	{"/\t/evil", false},
	{"/\n/evil", false},
	{"\r\n//evil/x", false},
	{"\x00//evil", false},
	{"\x1f\\\\evil", false},
	{"\\\t\\evil", false},
	{"//evil", false},
	{"///evil/x", false},
	{`\\\evil`, false},
	{"//gw.example/x", false}, // our own host, but an authority: not worth the doubt
	// Schemes: never given the token.
	{"https:evil/x", false},
	{"https:\\\\evil/x", false},
	{"http:evil/x", false},
	{"HTTPS://evil/x", false},
	{"https://evil/x", false},
	{"ht\ttps://evil/x", false},
	{" https://evil/x", false},
	{"data:text/plain,AAAA", false},
	{"skd://key-id", false},
	{"javascript:alert(1)", false},
	{"a+b-c.d:x", false},
	// Beyond WHATWG: other Unicode spaces in front.
	{"\u00a0//evil", false},
	{"\u3000//evil", false},
	{"\ufeff//evil", false},
	{"\u2028seg.ts", false},
	// Relative: the token is added.
	{"seg1.ts", true},
	{"../a/b.ts", true},
	{"/abs/path.ts", true},
	{"?q=1", true},
	{"#frag", true},
	{"./x:y.ts", true},
	{"1a:b.ts", true}, // a scheme starts with a letter
	{"%2F%2Fevil/x", true},
	{"/%5Cevil/x", true},
	{"/.//evil", true}, // path "//evil" under our host
	{"seg\t1.ts", true},
	{" seg.ts ", true},
	{"é.ts", true},
	{"\x01seg.ts", true},
}

func TestSameHostCurated(t *testing.T) {
	for _, c := range curated {
		if got := sameHost(c.uri); got != c.token {
			t.Errorf("sameHost(%q) = %v, want %v", c.uri, got, c.token)
		}
		param := TokenParam + "=tok"
		got := withToken(c.uri, param)
		if given := strings.Contains(got, param); given != c.token {
			t.Errorf("withToken(%q) = %q: token given %v, want %v", c.uri, got, given, c.token)
		}
		if c.token && !resolvesHome(got) {
			t.Errorf("withToken(%q) = %q, which leaves %s", c.uri, got, playlistHost)
		}
	}
}

func TestRewritePlaylistKeepsTokenOffOtherHosts(t *testing.T) {
	in := "#EXTM3U\n" +
		"#EXT-X-KEY:METHOD=AES-128,URI=\"/\\evil/k.bin\"\n" +
		"#EXT-X-MAP:URI=\"\\\\evil/init.mp4\"\n" +
		"#EXTINF:2,\n/\\evil/seg0.ts\n" +
		"#EXTINF:2,\n\\/evil/seg1.ts\n" +
		"#EXTINF:2,\n\t//evil/seg2.ts\n" +
		"#EXTINF:2,\n/\t/evil/seg3.ts\n" +
		"#EXTINF:2,\nhttps:evil/seg4.ts\n" +
		"#EXTINF:2,\nseg5.ts\n"
	out := string(RewritePlaylist([]byte(in), "tok"))
	want := strings.Replace(in, "seg5.ts", "seg5.ts?auth=tok", 1)
	if out != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

// TestSameHostAgreesWithBrowser checks every URI of the browser table: one
// given the token resolves, in Chromium, to the playlist's host. The
// reverse need not hold: a few URIs that stay home are refused anyway
// (scheme forms such as "https:x", unusual leading spaces).
func TestSameHostAgreesWithBrowser(t *testing.T) {
	raw, err := os.ReadFile(browserTable)
	if err != nil {
		t.Fatal(err)
	}
	var table []browserCase
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	byURI := map[string]string{}
	for _, c := range table {
		byURI[c.URI] = c.Host
		token := sameHost(c.URI)
		switch {
		case token && c.Host != playlistHost:
			t.Errorf("%q is given the token, but Chromium resolves it to %q", c.URI, c.Host)
		case token && !resolvesHome(c.URI):
			t.Errorf("%q is given the token, but the tests' resolver leaves %s", c.URI, playlistHost)
		case !token && c.Host == playlistHost && !refusedOnPurpose(c.URI):
			t.Errorf("%q stays on %s in Chromium, yet is refused the token", c.URI, playlistHost)
		}
		// The tests' resolver must itself agree with Chromium, or the
		// fuzz property built on it proves nothing.
		if c.Host != "!error" && resolvesHome(c.URI) != (c.Host == playlistHost) {
			t.Errorf("%q: Chromium says host %q, the tests' resolver disagrees", c.URI, c.Host)
		}
	}
	for _, c := range curated {
		host, ok := byURI[c.uri]
		if !ok {
			t.Errorf("%q is missing from %s: regenerate it with -browser-table", c.uri, browserTable)
			continue
		}
		if c.token && host != playlistHost {
			t.Errorf("%q: Chromium says %q", c.uri, host)
		}
	}
}

// refusedOnPurpose names the URIs that stay home in a browser but are
// refused the token all the same (see sameHost).
func refusedOnPurpose(uri string) bool {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, strings.TrimFunc(uri, isC0OrSpace))
	if s != "" && hasScheme(s) {
		return true
	}
	if len(s) >= 2 && isSlash(s[0]) && isSlash(s[1]) {
		return true // an authority, even when it names our own host
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// resolvesHome resolves uri against playlistURL with net/url after the
// WHATWG preprocessing (strip C0 and spaces, drop tabs and newlines,
// backslashes before the query as slashes, escape what net/url refuses),
// independently of sameHost, and reports whether it stays on the host.
func resolvesHome(uri string) bool {
	s := strings.TrimFunc(uri, isC0OrSpace)
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	end := strings.IndexAny(s, "?#")
	if end < 0 {
		end = len(s)
	}
	s = strings.ReplaceAll(s[:end], `\`, "/") + s[end:]
	// The base's own scheme without "//" makes a relative reference:
	// "https:evil/x" is the path "evil/x" under an https playlist.
	if len(s) > 6 && strings.EqualFold(s[:6], "https:") && !strings.HasPrefix(s[6:], "//") {
		s = s[6:]
	}
	// WHATWG reads any number of slashes after the first two as part of
	// "//": "///evil/x" names the host evil.
	if strings.HasPrefix(s, "//") {
		s = "//" + strings.TrimLeft(s, "/")
	}
	// A browser keeps a "%" that starts no escape, and percent-encodes
	// controls, spaces and non-ASCII bytes; net/url refuses all of them.
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])):
			b.WriteString("%25")
		case c <= 0x20 || c >= 0x7f:
			b.WriteString(fmt.Sprintf("%%%02X", c))
		default:
			b.WriteByte(c)
		}
	}
	s = b.String()
	u, err := url.Parse(s)
	if err != nil {
		// net/url refuses a colon in a first path segment ("1a:b"); a
		// browser reads it as a path.
		u, err = url.Parse("./" + s)
		if err != nil {
			return false
		}
	}
	base, _ := url.Parse(playlistURL)
	return base.ResolveReference(u).Host == playlistHost
}

// TestBrowserTableIsChromiums asks Chromium what it makes of the curated
// URIs and the generated ones, and checks that the browser table says the
// same: a Chromium that parses URLs differently must be looked at, since
// TestSameHostAgreesWithBrowser trusts the table. With -browser-table it
// rewrites the table instead.
func TestBrowserTableIsChromiums(t *testing.T) {
	chromium := testutil.NeedProgram(t, "chromium")
	uris := tableURIs()
	js, _ := json.Marshal(uris) // escapes <, > and & too
	page := `<!doctype html><body><script>
const uris = ` + string(js) + `;
const out = uris.map(u => { let h; try { h = new URL(u, "` + playlistURL + `").host } catch (e) { h = "!error" } return {uri: u, host: h} });
document.body.textContent = "TABLE:" + btoa(unescape(encodeURIComponent(JSON.stringify(out)))) + ":END";
</script></body>`
	dir := t.TempDir()
	file := filepath.Join(dir, "table.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+file)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`TABLE:([A-Za-z0-9+/=]+):END`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no table in chromium's output: %.500s", out)
	}
	dec, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	var table []browserCase
	if err := json.Unmarshal(dec, &table); err != nil {
		t.Fatal(err)
	}
	if len(table) != len(uris) {
		t.Fatalf("chromium answered %d cases of %d", len(table), len(uris))
	}
	// One case a line: reviewable in a diff.
	var b strings.Builder
	b.WriteString("[\n")
	for i, c := range table {
		line, _ := json.Marshal(c)
		b.Write(line)
		if i < len(table)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	if *updateBrowserTable {
		if err := os.WriteFile(browserTable, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(browserTable)
	if err != nil {
		t.Fatal(err)
	}
	var want []browserCase
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	wantHost := map[string]string{}
	for _, c := range want {
		wantHost[c.URI] = c.Host
	}
	differ := 0
	for _, c := range table {
		if h, ok := wantHost[c.URI]; !ok || h != c.Host {
			if differ++; differ <= 10 {
				t.Errorf("%q: this Chromium says host %q, %s says %q", c.URI, c.Host, browserTable, h)
			}
		}
	}
	if differ > 0 || len(want) != len(table) {
		t.Errorf("%d of %d cases differ, and the table has %d: look at what changed, then regenerate it with -browser-table", differ, len(table), len(want))
	}
}

// tableURIs are the curated URIs and a fixed set of generated ones, made
// of the pieces that confuse URL parsers.
func tableURIs() []string {
	var uris []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] {
			seen[u] = true
			uris = append(uris, u)
		}
	}
	for _, c := range curated {
		add(c.uri)
	}
	pieces := []string{"/", "/", `\`, `\`, "\t", "\n", "\r", " ", "\x00", "\x01", "\x0b", "\x1f", "\x7f",
		":", "?", "#", "%", "@", ".", "..", "a", "1", "+", "evil", "evil.example", "gw.example",
		"http", "https", "HTTPS", "data", "javascript", "%2F", "%5C", "%2f%2f",
		"\u00a0", "\ufeff", "\u3000", "\u2028", "\u200b", "é", "[", "]", "seg.ts"}
	rng := rand.New(rand.NewPCG(1, 2))
	for len(uris) < 1500 {
		n := 1 + rng.IntN(6)
		var b strings.Builder
		for range n {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		add(b.String())
	}
	return uris
}
