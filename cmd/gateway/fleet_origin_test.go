package main

// The HTTP side of the fleet tests: requests and their answers, the origin
// that jobs import from, and the jobs themselves.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

// answer is a response to a request of the test, read in full.
type answer struct {
	status                             int
	location, jobID, retryAfter, cache string
	body                               []byte
	err                                error
}

// client follows no redirect: the tests look at the 302s themselves.
var client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 128},
}

// get GETs u, giving up after timeout.
func get(u string, timeout time.Duration) answer {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return answer{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, location: resp.Header.Get("Location"), jobID: resp.Header.Get("X-Job-Id"),
		retryAfter: resp.Header.Get("Retry-After"), cache: resp.Header.Get("X-Cache")}
	a.body, a.err = io.ReadAll(resp.Body)
	return a
}

// code is the "code" of a JSON error body.
func (a answer) code() string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(a.body, &e)
	return e.Code
}

// on is u sent to p: the same path and query, p's address. The signature
// still holds: it covers the base as registered, not the Host.
func on(p *proc, u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Host = p.addr
	return parsed.String()
}

// origin is an HTTP server on loopback serving a PNG at every path. It
// counts the fetches of each path and how many of them were in flight at
// once, and may hold fetches until released (or until their client goes).
type origin struct {
	url     string
	png     []byte
	delay   func(path string) time.Duration // before each answer; nil: none
	hold    func(path string, n int) bool   // hold the n-th fetch of path
	release chan struct{}
	once    sync.Once
	fetched chan string // a path each time a fetch begins; never blocks

	mu                        sync.Mutex
	fetches, inFlight, maxFly map[string]int
}

// after delays every answer by d.
func after(d time.Duration) func(string) time.Duration {
	return func(string) time.Duration { return d }
}

func startOrigin(t *testing.T, delay func(path string) time.Duration, hold func(path string, n int) bool) *origin {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	o := &origin{png: buf.Bytes(), delay: delay, hold: hold, release: make(chan struct{}),
		fetched: make(chan string, 1024),
		fetches: map[string]int{}, inFlight: map[string]int{}, maxFly: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(o.serve)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.url = "http://" + ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() {
		o.releaseHeld()
		srv.Close()
	})
	return o
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	o.mu.Lock()
	o.fetches[p]++
	n := o.fetches[p]
	o.inFlight[p]++
	o.maxFly[p] = max(o.maxFly[p], o.inFlight[p])
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.inFlight[p]--
		o.mu.Unlock()
	}()
	select {
	case o.fetched <- p:
	default:
	}
	if o.hold != nil && o.hold(p, n) {
		select {
		case <-o.release:
		case <-r.Context().Done():
			return
		}
	}
	if o.delay != nil {
		select {
		case <-time.After(o.delay(p)):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(o.png)
}

// releaseHeld lets the held fetches, and every later one, go on.
func (o *origin) releaseHeld() { o.once.Do(func() { close(o.release) }) }

// count is how many fetches of path began.
func (o *origin) count(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fetches[path]
}

// maxInFlight is, for each path, the most fetches that were in flight at
// once.
func (o *origin) maxInFlight() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]int, len(o.maxFly))
	for p, n := range o.maxFly {
		out[p] = n
	}
	return out
}

// waitFetches waits until n fetches of path have begun.
func (o *origin) waitFetches(t *testing.T, path string, n int, within time.Duration) {
	t.Helper()
	testutil.Eventually(t, within, fmt.Sprintf("fetch %d of %s", n, path), func() bool { return o.count(path) >= n })
}

// imageJob imports a PNG from u and exports it as JPEG.
func imageJob(u string) map[string]any {
	return map[string]any{"tasks": map[string]any{
		"in":  map[string]any{"operation": "import/url", "url": u},
		"jpg": map[string]any{"operation": "convert", "input": "in", "output_format": "jpg"},
		"out": map[string]any{"operation": "export/url", "input": "jpg"},
	}}
}

// htmlJob renders an HTML page to PDF: a job only Chromium runs.
func htmlJob(title string) map[string]any {
	return map[string]any{"tasks": map[string]any{
		"in": map[string]any{"operation": "import/raw", "filename": "page.html",
			"file": "<!doctype html><html><body><h1>" + title + "</h1></body></html>"},
		"pdf": map[string]any{"operation": "convert", "input": "in", "output_format": "pdf"},
		"out": map[string]any{"operation": "export/url", "input": "pdf"},
	}}
}
