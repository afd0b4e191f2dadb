package outputs

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store *Store
	srv   *httptest.Server
	clock *clock
	root  string
}

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}, root: t.TempDir()}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	cfg := Config{
		Backend: Dir{Root: f.root}, PublicURL: f.srv.URL,
		Secret: []byte("secret-secret-secret"), JanitorInterval: -1, Now: f.clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f.store = s
	mux.Handle("GET /outputs/{id}/{name}", s.Handler())
	return f
}

func (f *fixture) put(t *testing.T, body, name string, inline bool) Output {
	t.Helper()
	o, err := f.store.Put(context.Background(), strings.NewReader(body), name, inline)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func do(t *testing.T, method, u string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func errCode(t *testing.T, body string) string {
	t.Helper()
	var e struct{ Code, Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Message == "" {
		t.Fatalf("error body %q is not the JSON error shape", body)
	}
	return e.Code
}

func TestServeOutput(t *testing.T) {
	f := newFixture(t, nil)
	o := f.put(t, "hello, world", "report.txt", false)
	if o.Size != 12 || o.Name != "report.txt" {
		t.Fatalf("output %+v", o)
	}
	resp, body := do(t, "GET", o.URL, nil)
	if resp.StatusCode != 200 || body != "hello, world" {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	want := map[string]string{
		"Content-Type":            "text/plain; charset=utf-8",
		"Content-Disposition":     `attachment; filename="report.txt"`,
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "sandbox",
		"Accept-Ranges":           "bytes",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	resp, body = do(t, "GET", o.URL, http.Header{"Range": {"bytes=7-11"}})
	if resp.StatusCode != http.StatusPartialContent || body != "world" {
		t.Errorf("Range: %d %q", resp.StatusCode, body)
	}
	resp, body = do(t, "HEAD", o.URL, nil)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != 12 {
		t.Errorf("HEAD: %d %q length %d", resp.StatusCode, body, resp.ContentLength)
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct {
		name   string
		inline bool
		want   string
	}{
		{"a.pdf", false, `attachment; filename="a.pdf"`},
		{"a.pdf", true, "inline"},
		{"résumé final.pdf", false, `attachment; filename="r_sum_ final.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf`},
		{`say "hi".txt`, false, `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`},
		{"日本.png", false, `attachment; filename="__.png"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.png`},
	}
	for _, tt := range tests {
		got := ContentDisposition(tt.name, tt.inline)
		if got != tt.want {
			t.Errorf("ContentDisposition(%q, %v) = %q, want %q", tt.name, tt.inline, got, tt.want)
		}
		if tt.inline {
			continue
		}
		// Browsers read filename* first: it must give back the exact name.
		_, params, err := mime.ParseMediaType(got)
		if err != nil || params["filename"] != tt.name {
			t.Errorf("parsed %q back as %q (%v)", got, params["filename"], err)
		}
	}
}

func TestServeNonASCIIAndInline(t *testing.T) {
	f := newFixture(t, nil)
	o := f.put(t, "x", "Übersicht.pdf", false)
	resp, _ := do(t, "GET", o.URL, nil)
	if got := resp.Header.Get("Content-Disposition"); !strings.Contains(got, "filename*=UTF-8''%C3%9Cbersicht.pdf") {
		t.Errorf("Content-Disposition = %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/pdf" {
		t.Errorf("Content-Type = %q", got)
	}
	o = f.put(t, "<script>alert(1)</script>", "page.html", true)
	resp, _ = do(t, "GET", o.URL, nil)
	if resp.Header.Get("Content-Disposition") != "inline" || resp.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Errorf("inline html headers: %v", resp.Header)
	}
}

func TestRefusesTamperedURLs(t *testing.T) {
	f := newFixture(t, nil)
	o := f.put(t, "data", "a.txt", false)
	other := f.put(t, "other", "b.txt", false)
	u, _ := url.Parse(o.URL)
	q := u.Query()
	sig, exp := q.Get("sig"), q.Get("expires")
	base := f.srv.URL + "/outputs/"
	tests := []struct {
		name, url string
	}{
		{"no signature", base + o.ID + "/a.txt?expires=" + exp},
		{"no expiry", base + o.ID + "/a.txt?sig=" + sig},
		{"other id", base + other.ID + "/a.txt?expires=" + exp + "&sig=" + sig},
		{"renamed", base + o.ID + "/a.html?expires=" + exp + "&sig=" + sig},
		{"later expiry", base + o.ID + "/a.txt?expires=" + exp + "0&sig=" + sig},
		{"flipped signature", base + o.ID + "/a.txt?expires=" + exp + "&sig=" + flip(sig)},
		{"signature not hex", base + o.ID + "/a.txt?expires=" + exp + "&sig=zz"},
		{"truncated signature", base + o.ID + "/a.txt?expires=" + exp + "&sig=" + sig[:32]},
		{"path traversal id", base + "..%2f..%2fetc/a.txt?expires=" + exp + "&sig=" + sig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", tt.url, nil)
			if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
				t.Fatalf("status %d, want 403: %s", resp.StatusCode, body)
			}
			if resp.StatusCode == http.StatusForbidden && errCode(t, body) != CodeInvalidSignature {
				t.Errorf("body %s", body)
			}
			if strings.Contains(body, "data") {
				t.Errorf("tampered URL served the file")
			}
		})
	}
	if resp, _ := do(t, "GET", o.URL, nil); resp.StatusCode != 200 {
		t.Errorf("the genuine URL stopped working: %d", resp.StatusCode)
	}
}

func flip(hexSig string) string {
	b := []byte(hexSig)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TTL = time.Hour })
	o := f.put(t, "data", "a.txt", false)
	if !o.Expires.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("expires %v, want now+1h", o.Expires)
	}
	f.clock.Add(time.Hour - time.Second)
	if resp, _ := do(t, "GET", o.URL, nil); resp.StatusCode != 200 {
		t.Fatalf("before expiry: %d", resp.StatusCode)
	}
	f.clock.Add(time.Second)
	resp, body := do(t, "GET", o.URL, nil)
	if resp.StatusCode != http.StatusGone || errCode(t, body) != CodeExpired {
		t.Errorf("after expiry: %d %s", resp.StatusCode, body)
	}
}

func TestSweepRemovesExpired(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TTL = time.Hour })
	old := f.put(t, "old", "old.txt", false)
	f.clock.Add(30 * time.Minute)
	fresh := f.put(t, "fresh", "fresh.txt", false)
	f.clock.Add(31 * time.Minute)
	n, err := f.store.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(filepath.Join(f.root, old.ID)); !os.IsNotExist(err) {
		t.Errorf("expired output still on disk: %v", err)
	}
	if resp, _ := do(t, "GET", fresh.URL, nil); resp.StatusCode != 200 {
		t.Errorf("unexpired output gone: %d", resp.StatusCode)
	}
}

func TestJanitorAndStartSweep(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.TTL = time.Hour })
	o := f.put(t, "data", "a.txt", false)
	f.clock.Add(2 * time.Hour)

	// A new store on the same directory sweeps at start.
	swept := make(chan int, 16)
	s2, err := New(Config{
		Backend: Dir{Root: f.root}, PublicURL: f.srv.URL, Secret: []byte("secret-secret-secret"),
		TTL: time.Hour, JanitorInterval: time.Millisecond, Now: f.clock.Now,
		OnSweep: func(n int, err error) {
			select {
			case swept <- n:
			default: // the test is not reading; a later sweep signals again
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := os.Stat(filepath.Join(f.root, o.ID)); !os.IsNotExist(err) {
		t.Fatalf("start did not remove the expired output: %v", err)
	}

	// The janitor removes what expires later.
	o2, err := s2.Put(context.Background(), strings.NewReader("x"), "b.txt", false)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Hour)
	// Each sweep is a signal to look again; the test's own deadline bounds
	// the wait if the janitor never removes it.
	for range swept {
		if _, err := os.Stat(filepath.Join(f.root, o2.ID)); os.IsNotExist(err) {
			break
		}
	}
}
