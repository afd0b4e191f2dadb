package origin

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/server"
)

func TestHTTPOriginRequestUpstream(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "upstream", Value: "x"})
		w.Header().Set("WWW-Authenticate", `Basic realm="origin"`)
		w.Header().Set("Content-Type", "binary/octet-stream")
		io.WriteString(w, "ok")
	})
	srv := serveBucket(t, NewPool(Options{}), up.URL+"/pre%20fix")
	res, body := do(t, "GET", srv.URL+"/films/a%20b/c%3Fd%25.mp4?auth=x&v=1", map[string]string{
		"Cookie":          "gw_auth=secret",
		"Authorization":   "Bearer secret",
		"Range":           "bytes=0-1",
		"If-None-Match":   `"e"`,
		"Connection":      "X-Hop",
		"X-Hop":           "1",
		"X-Forwarded-For": "203.0.113.9",
	})
	if res.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("status %d body %q", res.StatusCode, body)
	}
	got := <-up.got
	upHost := strings.TrimPrefix(up.URL, "http://")
	checks := []struct{ name, got, want string }{
		{"escaped path", got.URL.EscapedPath(), "/pre%20fix/films/a%20b/c%3Fd%25.mp4"},
		{"query", got.URL.RawQuery, ""},
		{"host", got.Host, upHost},
		{"cookie", got.Header.Get("Cookie"), ""},
		{"authorization", got.Header.Get("Authorization"), ""},
		{"range", got.Header.Get("Range"), "bytes=0-1"},
		{"if-none-match", got.Header.Get("If-None-Match"), `"e"`},
		{"hop-by-hop", got.Header.Get("X-Hop"), ""},
		// a client's own X-Forwarded-For is not trusted
		{"x-forwarded-for", got.Header.Get("X-Forwarded-For"), "127.0.0.1"},
		{"x-forwarded-proto", got.Header.Get("X-Forwarded-Proto"), "http"},
		{"accept-encoding", got.Header.Get("Accept-Encoding"), ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("upstream request %s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	respChecks := []struct{ name, got, want string }{
		{"set-cookie", res.Header.Get("Set-Cookie"), ""},
		{"www-authenticate", res.Header.Get("WWW-Authenticate"), ""},
		{"content-type from the extension", res.Header.Get("Content-Type"), "video/mp4"},
		{"nosniff", res.Header.Get("X-Content-Type-Options"), "nosniff"},
	}
	for _, c := range respChecks {
		if c.got != c.want {
			t.Errorf("response %s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestHTTPOriginFailures(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// An address nothing listens on: take a port, then give it back.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name   string
		origin string
		status int
		code   string
	}{
		{"timeout", slow.URL, http.StatusGatewayTimeout, CodeUpstreamTimeout},
		{"refused", down, http.StatusBadGateway, CodeUpstreamUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveBucket(t, NewPool(Options{ResponseHeaderTimeout: 200 * time.Millisecond}), tt.origin)
			res, body := do(t, "GET", srv.URL+"/a.mp4", nil)
			var b server.ErrorBody
			if err := json.Unmarshal(body, &b); err != nil {
				t.Fatalf("body %q is not JSON: %v", body, err)
			}
			if res.StatusCode != tt.status || b.Code != tt.code {
				t.Errorf("got %d %s, want %d %s", res.StatusCode, b.Code, tt.status, tt.code)
			}
			if host := strings.TrimPrefix(tt.origin, "http://"); strings.Contains(string(body), host) {
				t.Errorf("body names the upstream: %s", body)
			}
		})
	}
}

// headerSpy records whether anything was written.
type headerSpy struct {
	http.ResponseWriter
	wrote bool
}

func (s *headerSpy) WriteHeader(code int)        { s.wrote = true; s.ResponseWriter.WriteHeader(code) }
func (s *headerSpy) Write(p []byte) (int, error) { s.wrote = true; return s.ResponseWriter.Write(p) }

func TestHTTPOriginClientGoneWritesNothing(t *testing.T) {
	arrived := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	h, err := NewPool(Options{}).Handler(bucketWithOrigin(up.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	spy := &headerSpy{ResponseWriter: httptest.NewRecorder()}
	h.ServeHTTP(spy, httptest.NewRequest("GET", "/a.mp4", nil).WithContext(ctx))
	if spy.wrote {
		t.Error("a response was written to a client that went away")
	}
}

// A body of unknown length (a live or chunked upstream) reaches the viewer
// as it comes, not when the upstream finishes.
func TestHTTPOriginStreamsUnknownLength(t *testing.T) {
	firstRead := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp2t")
		io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-firstRead:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "second\n")
	})
	srv := serveBucket(t, NewPool(Options{}), up.URL)
	res, err := http.Get(srv.URL + "/live.ts")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(firstRead)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "second\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

func TestPoolCachesHandlersPerOrigin(t *testing.T) {
	p := NewPool(Options{})
	a, err := p.Handler(bucketWithOrigin("http://127.0.0.1:1/x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Handler(bucketWithOrigin("http://127.0.0.1:1/x"))
	c, _ := p.Handler(bucketWithOrigin("http://127.0.0.1:1/y"))
	if a != b || a == c {
		t.Error("want one handler per origin string")
	}
	for _, bad := range []string{"ftp://host/x", "http://", "file://relative"} {
		if _, err := p.Handler(bucketWithOrigin(bad)); err == nil {
			t.Errorf("origin %q: want an error", bad)
		}
	}
}

func TestClassifyUpstreamErrors(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"deadline", context.DeadlineExceeded, 504, CodeUpstreamTimeout},
		{"dial timeout", &net.OpError{Op: "dial", Err: timeoutErr{}}, 504, CodeUpstreamTimeout},
		{"wrapped timeout", fmt.Errorf("round trip: %w", timeoutErr{}), 504, CodeUpstreamTimeout},
		{"refused", refused, 502, CodeUpstreamUnavailable},
		{"reset", reset, 502, CodeUpstreamUnavailable},
		{"dns", &net.DNSError{Err: "no such host", Name: "origin.example", IsNotFound: true}, 502, CodeUpstreamUnavailable},
		{"eof", io.ErrUnexpectedEOF, 502, CodeUpstreamUnavailable},
	}
	for _, tt := range tests {
		e := classify(tt.err)
		if e.Status != tt.status || e.Code != tt.code {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, e.Status, e.Code, tt.status, tt.code)
		}
		if strings.Contains(e.Message, "origin.example") {
			t.Errorf("%s: public message %q names the upstream", tt.name, e.Message)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
