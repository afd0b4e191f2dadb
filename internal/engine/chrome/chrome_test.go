package chrome

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/testutil"
)

func requireTools(t testing.TB) {
	t.Helper()
	testutil.NeedPrograms(t, "chromium", "pdftotext", "pdfinfo")
}

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	requireTools(t)
	cfg.WorkDir = t.TempDir()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func convert(t testing.TB, e *Engine, html string, opts engine.Options) (string, error) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "page.html")
	if err := os.WriteFile(in, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: "pdf",
		Inputs: []engine.File{{Path: in, Name: "page.html"}}, Options: opts, WorkDir: dir})
	if err != nil {
		return "", err
	}
	return res.Files[0].Path, nil
}

func pdfText(t testing.TB, p string) string {
	out, err := exec.Command("pdftotext", p, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

var pagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)

func pdfPages(t testing.TB, p string) int {
	out, err := exec.Command("pdfinfo", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(string(pagesRE.FindSubmatch(out)[1]))
	return n
}

func TestHTMLToPDF(t *testing.T) {
	e := newEngine(t, Config{Tabs: 2})
	three := `<style>div{page-break-after:always}</style><div>Page one</div><div>Page two</div><div>Page three</div>`
	tests := []struct {
		name      string
		html      string
		opts      engine.Options
		want      []string
		notWant   []string
		wantPages int
	}{
		{"simple", "<h1>Invoice 42</h1><p>Total: 99 EUR</p>", nil, []string{"Invoice 42", "Total: 99 EUR"}, nil, 1},
		{"script runs", `<p id=x>before</p><script>document.getElementById('x').textContent='after script'</script>`, nil, []string{"after script"}, nil, 1},
		{"all pages", three, nil, []string{"Page one", "Page three"}, nil, 3},
		{"pages 2-3", three, engine.Options{"pages": "2-3"}, []string{"Page two", "Page three"}, []string{"Page one"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := convert(t, e, tc.html, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, p)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q: %q", w, text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("text has %q: %q", w, text)
				}
			}
			if got := pdfPages(t, p); got != tc.wantPages {
				t.Errorf("%d pages, want %d", got, tc.wantPages)
			}
		})
	}
	if _, err := convert(t, e, "<p>x</p>", engine.Options{"pages": "a-b"}); engine.CodeOf(err) != engine.CodeInvalidInput {
		t.Errorf("bad pages: %v, want INVALID_INPUT", err)
	}
}

var pageSizeRE = regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`)

// pdfPageSize returns the first page's size in points.
func pdfPageSize(t testing.TB, p string) (w, h float64) {
	t.Helper()
	out, err := exec.Command("pdfinfo", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	m := pageSizeRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo printed no page size:\n%s", out)
	}
	w, _ = strconv.ParseFloat(string(m[1]), 64)
	h, _ = strconv.ParseFloat(string(m[2]), 64)
	return w, h
}

// page_width and page_height (cm) set the paper, over the page's CSS and
// the Letter default, and the margins (mm) move the text.
func TestPDFPageGeometry(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1})
	near := func(got, want float64) bool { return got > want-1.5 && got < want+1.5 }
	for _, tc := range []struct {
		name string
		html string
		opts engine.Options
		w, h float64 // points
	}{
		{"default Letter", "<p>x</p>", nil, 612, 792},
		{"A4", "<p>x</p>", engine.Options{"page_width": 21, "page_height": 29.7}, 595.3, 841.9},
		{"over CSS", "<style>@page{size:A5}</style><p>x</p>", engine.Options{"page_width": 10, "page_height": 15}, 283.5, 425.2},
		{"CSS without options", "<style>@page{size:A5}</style><p>x</p>", nil, 419.5, 595.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := convert(t, e, tc.html, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if w, h := pdfPageSize(t, p); !near(w, tc.w) || !near(h, tc.h) {
				t.Errorf("page %.1f x %.1f pts, want %.1f x %.1f", w, h, tc.w, tc.h)
			}
		})
	}
	// A top margin of 100 mm pushes the first line of text a third of the
	// way down an A4 page.
	top := func(opts engine.Options) float64 {
		p, err := convert(t, e, "<body style=\"margin:0\">first line</body>", opts)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-bbox", p, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`<word xMin="[-\d.]+" yMin="(-?[\d.]+)"`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("no word in %s", out)
		}
		y, _ := strconv.ParseFloat(string(m[1]), 64)
		return y
	}
	a4 := engine.Options{"page_width": 21, "page_height": 29.7, "margin_top": 0}
	low := engine.Options{"page_width": 21, "page_height": 29.7, "margin_top": 100}
	if y0, y1 := top(a4), top(low); y1-y0 < 250 || y1-y0 > 320 {
		t.Errorf("margin_top 100 mm moved the text from %.0f to %.0f pts, want about 283 pts further down", y0, y1)
	}
}

// The page gets nothing but its own HTML: no http:// or file:// resource,
// no fetch from a script.
func TestNetworkLimitedToThePage(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("REMOTE-CONTENT"))
	}))
	defer srv.Close()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("LOCAL-SECRET"), 0o644)
	html := `<p>visible</p><img src="` + srv.URL + `/i.png"><iframe src="` + srv.URL + `/frame"></iframe>
<iframe src="file://` + secret + `"></iframe><script src="` + srv.URL + `/s.js"></script>
<p id=f>none</p><script>fetch("` + srv.URL + `/x").then(r=>r.text()).then(t=>document.getElementById('f').textContent=t).catch(()=>{})</script>`
	p, err := convert(t, e, html, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, p)
	if !strings.Contains(text, "visible") || strings.Contains(text, "REMOTE-CONTENT") || strings.Contains(text, "LOCAL-SECRET") {
		t.Errorf("PDF text %q: want the page's own text only", text)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server was asked %d times, want 0", n)
	}
}

func TestHangingPageTimesOut(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1})
	_, err := convert(t, e, "<script>while(true){}</script>", engine.Options{"timeout": 2})
	if engine.CodeOf(err) != engine.CodeTimeout {
		t.Fatalf("err %v, want TIMEOUT", err)
	}
	p, err := convert(t, e, "<p>after the hang</p>", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pdfText(t, p), "after the hang") {
		t.Error("next page not rendered")
	}
}

func TestMissingChromium(t *testing.T) {
	_, err := New(Config{ChromiumPath: "/nonexistent/chromium"})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "Debian package chromium") {
		t.Fatalf("err %v", err)
	}
}

func TestNoOrphansAfterClose(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	e, err := New(Config{Tabs: 1, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pgrep", "-f", dir).Output(); err != nil {
		t.Fatalf("no chromium found before Close: %s %v", out, err)
	}
	e.Close()
	if out, err := exec.Command("pgrep", "-f", dir).Output(); err == nil {
		t.Errorf("left after Close: %s", out)
	}
}

// BenchmarkHTMLToPDF measures warm html-to-pdf conversions on two tabs, of
// a document without a script (a static tab, reused) and of one with (a
// fresh tab and browser context per job); it reports the p50 and p95 of one
// conversion besides the mean.
func BenchmarkHTMLToPDF(b *testing.B) {
	e := newEngine(b, Config{Tabs: 2})
	static := "<h1>Latency</h1>" + strings.Repeat("<p>The quick brown fox jumps over the lazy dog.</p>", 40)
	for _, page := range []struct{ name, html string }{
		{"static", static},
		{"scripted", static + "<p id=s></p><script>s.textContent='a script ran'</script>"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for range 3 {
				if _, err := convert(b, e, page.html, nil); err != nil {
					b.Fatal(err)
				}
			}
			var d []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := convert(b, e, page.html, nil); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(t0))
			}
			slices.Sort(d)
			b.ReportMetric(float64(d[len(d)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(d[len(d)*95/100])/1e6, "p95-ms")
		})
	}
}
