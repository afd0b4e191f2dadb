package origin

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileOriginSandboxesScriptCapableExtensions: every extension whose
// type a browser renders as markup or runs as script is sandboxed, and
// every answer says nosniff once.
func TestFileOriginSandboxesScriptCapableExtensions(t *testing.T) {
	srv, dir := fileBucket(t)
	sandboxed := []string{".mpd", ".ttml", ".rss", ".atom", ".rdf", ".svg", ".html", ".htm", ".xhtml",
		".xml", ".xsl", ".xslt", ".js", ".mjs", ".SVG", ".Mpd"}
	plain := []string{".mp4", ".m3u8", ".ts", ".m4s", ".vtt", ".srt", ".pdf", ".json", ".txt", ".png", ".jpg", ".mp3", ".unknown-ext", ""}
	for _, ext := range append(append([]string{}, sandboxed...), plain...) {
		writeFile(t, filepath.Join(dir, "f"+ext), []byte("<x:script xmlns:x='http://www.w3.org/1999/xhtml'>alert(1)</x:script>"))
	}
	for i, ext := range append(append([]string{}, sandboxed...), plain...) {
		want := ""
		if i < len(sandboxed) {
			want = "sandbox"
		}
		for _, method := range []string{"GET", "HEAD"} {
			res, _ := do(t, method, srv.URL+"/f"+ext, nil)
			if res.StatusCode != 200 {
				t.Fatalf("%s f%s: status %d", method, ext, res.StatusCode)
			}
			if got := res.Header.Get("Content-Security-Policy"); got != want {
				t.Errorf("%s f%s (%s): Content-Security-Policy %q, want %q", method, ext, res.Header.Get("Content-Type"), got, want)
			}
			if got := res.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
				t.Errorf("%s f%s: X-Content-Type-Options %q, want nosniff once", method, ext, got)
			}
		}
	}
}

// TestHTTPOriginSandboxesByUpstreamType: the upstream's Content-Type
// decides, and the upstream cannot take nosniff away.
func TestHTTPOriginSandboxesByUpstreamType(t *testing.T) {
	tests := []struct {
		path        string
		contentType []string // as the upstream sends it; nil: none
		wantType    string
		csp         []string
	}{
		{"/a.bin", []string{"text/html; charset=utf-8"}, "text/html; charset=utf-8", []string{"sandbox"}},
		{"/a.bin", []string{"application/rss+xml"}, "application/rss+xml", []string{"sandbox"}},
		{"/a.bin", []string{"application/dash+xml"}, "application/dash+xml", []string{"sandbox"}},
		{"/a.bin", []string{"text/javascript"}, "text/javascript", []string{"sandbox"}},
		{"/a.bin", []string{"image/png", "text/html"}, "image/png", []string{"sandbox"}},
		{"/a.bin", []string{"image/png, text/html"}, "image/png, text/html", []string{"sandbox"}},
		{"/a.bin", []string{"not a type"}, "not a type", []string{"sandbox"}},
		{"/a.mp4", []string{"video/mp4"}, "video/mp4", nil},
		// A generic or missing type takes the extension's.
		{"/a.svg", []string{"application/octet-stream"}, "image/svg+xml", []string{"sandbox"}},
		{"/a.mpd", nil, "application/dash+xml", []string{"sandbox"}},
		{"/a.mp4", nil, "video/mp4", nil},
	}
	for _, tt := range tests {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Type"] = tt.contentType
			if tt.contentType == nil {
				h["Content-Type"] = nil // no sniffing by the test server either
			}
			h.Set("X-Content-Type-Options", "sniff-away")
			io.WriteString(w, "<script>alert(1)</script>")
		})
		srv := serveBucket(t, NewPool(Options{}), up.URL)
		res, _ := do(t, "GET", srv.URL+tt.path, nil)
		if got := strings.Join(res.Header.Values("Content-Type"), " | "); !strings.HasPrefix(got, tt.wantType) {
			t.Errorf("%s %q: Content-Type %q, want %q", tt.path, tt.contentType, got, tt.wantType)
		}
		if got := res.Header.Values("Content-Security-Policy"); strings.Join(got, "|") != strings.Join(tt.csp, "|") {
			t.Errorf("%s %q: Content-Security-Policy %q, want %q", tt.path, tt.contentType, got, tt.csp)
		}
		if got := res.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("%s %q: X-Content-Type-Options %q, want nosniff once", tt.path, tt.contentType, got)
		}
	}
}

// TestHTTPOriginKeepsUpstreamPolicy: the sandbox is added to the
// upstream's own policy, not put in its place.
func TestHTTPOriginKeepsUpstreamPolicy(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		io.WriteString(w, "<p>x")
	})
	srv := serveBucket(t, NewPool(Options{}), up.URL)
	res, _ := do(t, "GET", srv.URL+"/a.html", nil)
	if got := strings.Join(res.Header.Values("Content-Security-Policy"), "|"); got != "default-src 'none'|sandbox" {
		t.Errorf("Content-Security-Policy %q, want the upstream's and sandbox", got)
	}
}

// TestOriginRefusalsSayNoSniff: the gateway's own answers carry nosniff
// too.
func TestOriginRefusalsSayNoSniff(t *testing.T) {
	fileSrv, _ := fileBucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	httpSrv := serveBucket(t, NewPool(Options{}), closed)
	tests := []struct {
		method, url string
		header      map[string]string
		status      int
	}{
		{"GET", fileSrv.URL + "/missing.mp4", nil, 404},
		{"POST", fileSrv.URL + "/films/a.mp4", nil, 405},
		{"GET", fileSrv.URL + "/films/a.mp4", map[string]string{"Range": "bytes=-0"}, 416},
		{"HEAD", fileSrv.URL + "/films/a.mp4", map[string]string{"Range": "bytes=-0"}, 416},
		{"GET", fileSrv.URL + "/films/a.mp4", map[string]string{"If-Match": `"x"`}, 412},
		{"GET", httpSrv.URL + "/films/a.mp4", nil, 502},
		{"POST", httpSrv.URL + "/films/a.mp4", nil, 405},
	}
	for _, tt := range tests {
		res, _ := do(t, tt.method, tt.url, tt.header)
		if res.StatusCode != tt.status {
			t.Errorf("%s %s %v: status %d, want %d", tt.method, tt.url, tt.header, res.StatusCode, tt.status)
		}
		if got := res.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("%s %s %v: X-Content-Type-Options %q, want nosniff once", tt.method, tt.url, tt.header, got)
		}
	}
}

// TestHTTPOriginDoesNotSwitchProtocols: a GET asking for a WebSocket is
// forwarded as a plain GET, and an upstream that switches anyway is
// refused rather than tunnelled to.
func TestHTTPOriginDoesNotSwitchProtocols(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		w.WriteHeader(http.StatusSwitchingProtocols)
	})
	srv := serveBucket(t, NewPool(Options{}), up.URL)
	req, _ := http.NewRequest("GET", srv.URL+"/ws", nil)
	for k, v := range map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
	} {
		req.Header.Set(k, v)
	}
	// A tunnel would never end: bound the wait.
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	got := <-up.got
	if got.Header.Get("Upgrade") != "" || got.Header.Get("Connection") != "" {
		t.Errorf("upstream got Upgrade %q Connection %q", got.Header.Get("Upgrade"), got.Header.Get("Connection"))
	}
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", res.StatusCode)
	}
}
