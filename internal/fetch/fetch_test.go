package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// origin is a real HTTP server on loopback that counts the requests it
// receives, so tests can prove a refused fetch never reached it.
type origin struct {
	*httptest.Server
	hits atomic.Int64
}

func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	t.Helper()
	return startOrigin(t, httptest.NewUnstartedServer(nil), h)
}

// newOrigin6 is newOrigin on [::1]; it skips where IPv6 loopback is missing.
func newOrigin6(t *testing.T, h http.HandlerFunc) *origin {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener.Close()
	srv.Listener = ln
	return startOrigin(t, srv, h)
}

func startOrigin(t *testing.T, srv *httptest.Server, h http.HandlerFunc) *origin {
	o := &origin{Server: srv}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		h(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return o
}

func (o *origin) port() string { return o.URL[strings.LastIndexByte(o.URL, ':')+1:] }

func hello(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello") }

func newTestClient(t *testing.T, p Policy) *Client {
	c := NewClient(p)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

var allowLoopback = Policy{AllowCIDRs: []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
}}

// wantCode fails unless err is an *Error with the given code.
func wantCode(t *testing.T, err error, code Code) *Error {
	t.Helper()
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want *Error with code %s", err, err, code)
	}
	if fe.Code() != code {
		t.Fatalf("code = %s (%q, cause %v), want %s", fe.Code(), fe.Error(), errors.Unwrap(fe), code)
	}
	return fe
}

func TestURLRules(t *testing.T) {
	c := newTestClient(t, Policy{})
	for _, tt := range []struct {
		url  string
		want Code
	}{
		{"file:///etc/passwd", CodeUnsupportedScheme},
		{"ftp://example.com/x", CodeUnsupportedScheme},
		{"gopher://example.com/", CodeUnsupportedScheme},
		{"data:text/plain,hello", CodeUnsupportedScheme},
		{"//example.com/x", CodeInvalidURL},
		{"http://", CodeInvalidURL},
		{"http:example.com", CodeInvalidURL},
		{"https://user:pass@example.com/", CodeInvalidURL},
		{"https://trusted.example@127.0.0.1/", CodeInvalidURL},
		{"http://%zz/", CodeInvalidURL},
	} {
		_, err := c.Fetch(context.Background(), tt.url, nil, &bytes.Buffer{})
		if fe := wantCode(t, err, tt.want); strings.Contains(fe.Error(), "pass") {
			t.Errorf("%s: message %q leaks credentials", tt.url, fe.Error())
		}
	}
}

func TestRedirectRules(t *testing.T) {
	for _, tt := range []struct {
		location string
		want     Code
	}{
		{"file:///etc/passwd", CodeUnsupportedScheme},
		{"gopher://127.0.0.1:70/", CodeUnsupportedScheme},
		{"http://user:pw@127.0.0.1/", CodeInvalidURL},
	} {
		o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", tt.location)
			w.WriteHeader(http.StatusFound)
		})
		_, err := newTestClient(t, allowLoopback).Fetch(context.Background(), o.URL, nil, &bytes.Buffer{})
		wantCode(t, err, tt.want)
	}
}

// redirector redirects /N to /N+1 until N reaches stop, then answers 200.
func redirector(stop int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n >= stop {
			fmt.Fprint(w, "done")
			return
		}
		http.Redirect(w, r, "/"+strconv.Itoa(n+1), http.StatusMovedPermanently)
	}
}

func TestRedirectLimit(t *testing.T) {
	for _, tt := range []struct {
		name         string
		maxRedirects int
		stop         int
		wantErr      bool
		wantHits     int64
	}{
		{"within limit", 3, 3, false, 4},
		{"one over", 3, 4, true, 4},
		{"endless", 3, 1 << 30, true, 4},
		{"default is 5", 0, 5, false, 6},
		{"default refuses 6", 0, 6, true, 6},
		{"negative disables", -1, 1, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, redirector(tt.stop))
			p := allowLoopback
			p.MaxRedirects = tt.maxRedirects
			meta, err := newTestClient(t, p).Fetch(context.Background(), o.URL+"/0", nil, &bytes.Buffer{})
			if tt.wantErr {
				wantCode(t, err, CodeTooManyRedirects)
			} else if err != nil {
				t.Fatalf("Fetch: %v", err)
			} else if want := o.URL + "/" + strconv.Itoa(tt.stop); meta.FinalURL != want {
				t.Errorf("FinalURL = %q, want %q", meta.FinalURL, want)
			}
			if got := o.hits.Load(); got != tt.wantHits {
				t.Errorf("origin hits = %d, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestSizeCap(t *testing.T) {
	const max = 10
	for _, tt := range []struct {
		name    string
		size    int
		chunked bool // no Content-Length: only counting while streaming can catch it
		wantErr bool
	}{
		{"at limit with length", max, false, false},
		{"over limit with length", max + 1, false, true},
		{"at limit chunked", max, true, false},
		{"over limit chunked", max + 1, true, true},
		{"far over chunked", 1 << 20, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				body := bytes.Repeat([]byte("x"), tt.size)
				if tt.chunked {
					w.(http.Flusher).Flush()
				} else {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				w.Write(body)
			})
			p := allowLoopback
			p.MaxBytes = max
			var buf bytes.Buffer
			meta, err := newTestClient(t, p).Fetch(context.Background(), o.URL, nil, &buf)
			if buf.Len() > max {
				t.Errorf("wrote %d bytes, more than the cap", buf.Len())
			}
			if !tt.wantErr {
				if err != nil || meta.Size != int64(tt.size) {
					t.Fatalf("Fetch = %+v, %v; want size %d", meta, err, tt.size)
				}
				return
			}
			wantCode(t, err, CodeTooLarge)
			if !tt.chunked && buf.Len() != 0 {
				t.Errorf("wrote %d bytes although Content-Length was over the cap", buf.Len())
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	// Handlers stall until the client gives up (the server sees the
	// connection close) or the test releases them, whichever comes first.
	stall := func(release <-chan struct{}, partial bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if partial {
				w.Write([]byte("partial"))
				w.(http.Flusher).Flush()
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	}
	for _, tt := range []struct {
		name    string
		partial bool
		p       Policy
	}{
		{"overall, no headers", false, Policy{Timeout: 100 * time.Millisecond}},
		{"overall, stalled body", true, Policy{Timeout: 100 * time.Millisecond}},
		{"header timeout", false, Policy{HeaderTimeout: 100 * time.Millisecond}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			o := newOrigin(t, stall(release, tt.partial))
			t.Cleanup(func() { close(release) }) // before o.Close, which waits for handlers
			p := tt.p
			p.AllowCIDRs = allowLoopback.AllowCIDRs
			_, err := newTestClient(t, p).Fetch(context.Background(), o.URL, nil, &bytes.Buffer{})
			wantCode(t, err, CodeTimeout)
		})
	}
}

func TestUpstreamStatus(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusForbidden, http.StatusInternalServerError, http.StatusFound} {
		o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status) // a 302 without Location is not followed
		})
		var buf bytes.Buffer
		_, err := newTestClient(t, allowLoopback).Fetch(context.Background(), o.URL, nil, &buf)
		fe := wantCode(t, err, CodeUpstreamStatus)
		if fe.UpstreamStatus() != status || !strings.Contains(fe.Error(), strconv.Itoa(status)) {
			t.Errorf("status %d: got %d, %q", status, fe.UpstreamStatus(), fe.Error())
		}
	}
}

func TestFetchMetaAndHeaders(t *testing.T) {
	var gotUA, gotToken atomic.Value
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, "/files/Quarterly%20Report%20%232.pdf", http.StatusFound)
		case "/disposition":
			w.Header().Set("Content-Disposition", `attachment; filename="../x.bin"; filename*=UTF-8''%C3%A9t%C3%A9.bin`)
			fmt.Fprint(w, "cd")
		default:
			gotUA.Store(r.UserAgent())
			gotToken.Store(r.Header.Get("X-Token"))
			w.Header().Set("Content-Type", "application/pdf")
			fmt.Fprint(w, "%PDF")
		}
	})
	c := newTestClient(t, allowLoopback)

	meta, err := c.Fetch(context.Background(), o.URL+"/start", map[string]string{"X-Token": "t0k"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := Meta{FileName: "Quarterly Report #2.pdf", ContentType: "application/pdf", Size: 4,
		FinalURL: o.URL + "/files/Quarterly%20Report%20%232.pdf"}
	if meta != want {
		t.Errorf("meta = %+v, want %+v", meta, want)
	}
	if gotUA.Load() != DefaultUserAgent || gotToken.Load() != "t0k" {
		t.Errorf("headers: User-Agent %q, X-Token %q", gotUA.Load(), gotToken.Load())
	}

	if _, err := c.Fetch(context.Background(), o.URL+"/x", map[string]string{"User-Agent": "custom"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if gotUA.Load() != "custom" {
		t.Errorf("User-Agent = %q, want the caller's", gotUA.Load())
	}

	meta, err = c.Fetch(context.Background(), o.URL+"/disposition", nil, &bytes.Buffer{})
	if err != nil || meta.FileName != "été.bin" || meta.ContentType == "" {
		t.Errorf("disposition: meta %+v, err %v", meta, err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteFailure(t *testing.T) {
	o := newOrigin(t, hello)
	_, err := newTestClient(t, allowLoopback).Fetch(context.Background(), o.URL, nil, failingWriter{})
	fe := wantCode(t, err, CodeWriteFailed)
	if strings.Contains(fe.Error(), "disk full") {
		t.Errorf("message %q leaks the local cause", fe.Error())
	}
}

func TestCallerCancellation(t *testing.T) {
	o := newOrigin(t, hello)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newTestClient(t, allowLoopback).Fetch(ctx, o.URL, nil, &bytes.Buffer{})
	wantCode(t, err, CodeFetchFailed)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}
