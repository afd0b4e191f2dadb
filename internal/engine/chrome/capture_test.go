package chrome

import (
	"bytes"
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
)

func decodeImage(t *testing.T, p string) (image.Image, string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %s: %v", p, err)
	}
	return img, format
}

func run(t *testing.T, e *Engine, req engine.Request) (engine.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if req.WorkDir == "" {
		req.WorkDir = t.TempDir()
	}
	return e.Run(ctx, req)
}

func TestHTMLToImage(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1})
	dir := t.TempDir()
	in := filepath.Join(dir, "page.html")
	os.WriteFile(in, []byte(`<body style="margin:0"><div style="height:3000px;background:red">tall</div></body>`), 0o644)
	tests := []struct {
		out        string
		opts       engine.Options
		wantFormat string
		w, h       int
	}{
		{"png", engine.Options{"screenshot_width": 640, "height": 480}, "png", 640, 480},
		{"jpg", engine.Options{"width": 800, "quality": 70}, "jpeg", 800, 3000},
		{"png", nil, "png", defaultShotWidth, 3000},
	}
	for _, tc := range tests {
		t.Run(tc.out, func(t *testing.T) {
			res, err := run(t, e, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: tc.out,
				Inputs: []engine.File{{Path: in, Name: "page.html"}}, Options: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Files[0].Name; got != "page."+tc.out {
				t.Errorf("name %q", got)
			}
			img, format := decodeImage(t, res.Files[0].Path)
			if format != tc.wantFormat || img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h {
				t.Errorf("got %s %v, want %s %dx%d", format, img.Bounds(), tc.wantFormat, tc.w, tc.h)
			}
		})
	}
	_, err := run(t, e, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: "png",
		Inputs: []engine.File{{Path: in, Name: "page.html"}}, Options: engine.Options{"width": 100000}})
	if engine.CodeOf(err) != engine.CodeInvalidInput {
		t.Errorf("huge width: %v", err)
	}
}

// loopbackPolicy allows the test servers on 127.0.0.1 only.
var loopbackPolicy = fetch.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

func capture(t *testing.T, e *Engine, rawURL, format string, opts engine.Options) (engine.Result, error) {
	t.Helper()
	o := engine.Options{"url": rawURL}
	for k, v := range opts {
		o[k] = v
	}
	return run(t, e, engine.Request{Operation: OpCapture, InputFormat: "website", OutputFormat: format, Options: o})
}

func TestCaptureWebsite(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<h1>Captured page 7</h1><p id=x></p><script>setTimeout(()=>document.getElementById('x').textContent='late text',50)</script>`))
	}))
	defer srv.Close()

	res, err := capture(t, e, srv.URL+"/page", "pdf", engine.Options{"wait_until": "networkidle0", "wait_time": 300,
		"page_width": 21, "page_height": 29.7, "margin_top": 10})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, res.Files[0].Path)
	if !strings.Contains(text, "Captured page 7") || !strings.Contains(text, "late text") {
		t.Errorf("pdf text %q", text)
	}
	if res.Files[0].Name != "127.0.0.1.pdf" {
		t.Errorf("name %q", res.Files[0].Name)
	}
	res, err = capture(t, e, srv.URL, "png", engine.Options{"screenshot_width": 500, "filename": "shot.png"})
	if err != nil {
		t.Fatal(err)
	}
	img, format := decodeImage(t, res.Files[0].Path)
	if format != "png" || img.Bounds().Dx() != 500 || res.Files[0].Name != "shot.png" {
		t.Errorf("got %s %v %q", format, img.Bounds(), res.Files[0].Name)
	}

	bad := []struct {
		name string
		opts engine.Options
	}{
		{"wait_until", engine.Options{"wait_until": "never"}},
		{"wait_time", engine.Options{"wait_time": 3600000}},
	}
	for _, tc := range bad {
		if _, err := capture(t, e, srv.URL, "pdf", tc.opts); engine.CodeOf(err) != engine.CodeInvalidInput {
			t.Errorf("%s: %v, want INVALID_INPUT", tc.name, err)
		}
	}
}

func TestCaptureRefusesForbiddenURLs(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1}) // the default policy: public addresses only
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	tests := []struct{ url, want string }{
		{srv.URL, "127.0.0.1"},
		{"http://169.254.169.254/latest/meta-data/", "169.254.169.254"},
		{"http://[::1]:1/", "::1"},
		{"http://[::ffff:127.0.0.1]:1/", "127.0.0.1"},
		{"file:///etc/passwd", "http or https"},
		{"chrome://version", "http or https"},
		{"data:text/html,hi", "http or https"},
		{"", "required"},
	}
	for _, tc := range tests {
		_, err := capture(t, e, tc.url, "pdf", nil)
		ee := engine.AsError(err)
		if ee == nil || ee.Code() != engine.CodeInvalidInput || !strings.Contains(ee.Message(), tc.want) {
			t.Errorf("%q: %v, want INVALID_INPUT naming %q", tc.url, err, tc.want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the forbidden server got %d requests", n)
	}
}

// An allowed page renders, but none of its forbidden subresources is
// fetched: not metadata, not another loopback address, not a file.
func TestCaptureBlocksForbiddenSubresources(t *testing.T) {
	var hits atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2: %v", err)
	}
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("OTHER-SERVER"))
	}))
	other.Listener = ln
	other.Start()
	defer other.Close()
	page := `<p>allowed page</p><img src="http://169.254.169.254/x"><iframe src="` + other.URL + `/"></iframe>
<iframe src="file:///etc/passwd"></iframe><script src="` + other.URL + `/s.js"></script>
<p id=f>none</p><script>fetch("` + other.URL + `/x").then(r=>r.text()).then(t=>document.getElementById('f').textContent=t).catch(()=>{});
try{new WebSocket("ws://` + ln.Addr().String() + `/ws")}catch(e){}</script>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(page))
	}))
	defer srv.Close()
	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	res, err := capture(t, e, srv.URL, "pdf", engine.Options{"wait_until": "networkidle0"})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, res.Files[0].Path)
	if !strings.Contains(text, "allowed page") || strings.Contains(text, "OTHER-SERVER") || strings.Contains(text, "root:") {
		t.Errorf("pdf text %q", text)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the forbidden server got %d requests", n)
	}
}

// A redirect from an allowed page to a forbidden one is refused.
func TestCaptureRefusesRedirectToForbidden(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	srv := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/", http.StatusFound))
	defer srv.Close()
	_, err := capture(t, e, srv.URL, "pdf", nil)
	ee := engine.AsError(err)
	if ee == nil || ee.Code() != engine.CodeInvalidInput || !strings.Contains(ee.Message(), "169.254.169.254") {
		t.Fatalf("err %v, want INVALID_INPUT naming 169.254.169.254", err)
	}
}

// The page proxy refuses forbidden destinations itself, whatever the
// browser asks: this is what holds if a request escapes the interception.
func TestProxyRefusesForbidden(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	p, err := startProxy(&guard{resolver: net.DefaultResolver})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	pu, _ := http.NewRequest("GET", "http://"+p.addr(), nil)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu.URL)}}
	for _, u := range []string{srv.URL + "/", "https://" + srv.Listener.Addr().String() + "/"} {
		resp, err := client.Get(u)
		if err == nil {
			if resp.StatusCode < 400 {
				t.Errorf("%s: status %d", u, resp.StatusCode)
			}
			resp.Body.Close()
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the server got %d requests through the proxy", hits.Load())
	}
}

// A page that never finishes loading ends at the task's timeout, and the
// engine captures the next page normally.
func TestCaptureTimeout(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<p>start</p>"))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("<p>after the hang</p>"))
	}))
	defer srv.Close()
	defer close(release)
	_, err := capture(t, e, srv.URL+"/hang", "pdf", engine.Options{"timeout": 2})
	if engine.CodeOf(err) != engine.CodeTimeout {
		t.Fatalf("err %v, want TIMEOUT", err)
	}
	res, err := capture(t, e, srv.URL+"/ok", "pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pdfText(t, res.Files[0].Path), "after the hang") {
		t.Error("next capture not rendered")
	}
}
