package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/server/fastlane"
	"github.com/signedgate/gateway/internal/testutil"
)

func newTestServer(t *testing.T, rt Routes, logs io.Writer) *httptest.Server {
	t.Helper()
	if rt.Mux == nil {
		rt.Mux = http.NewServeMux()
	}
	reg := prometheus.NewRegistry()
	rt.Gatherer = reg
	if logs == nil {
		logs = io.Discard
	}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	srv := httptest.NewServer(Handler(rt, log, NewMetrics(reg), nil))
	t.Cleanup(srv.Close)
	return srv
}

func decodeError(t *testing.T, resp *http.Response) ErrorBody {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type: got %q, want JSON", ct)
	}
	var b ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("decode error body: %v", err)
	}
	return b
}

func TestUnknownRouteAndWrongMethodAnswerJSON(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("DELETE /things", func(w http.ResponseWriter, r *http.Request) {})
	srv := newTestServer(t, Routes{Mux: mux}, nil)

	resp, err := http.Get(srv.URL + "/nothing/here")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 {
		t.Fatalf("unknown route: got %d, want 404", resp.StatusCode)
	}
	if b := decodeError(t, resp); b.Code != CodeNotFound || b.Message == "" {
		t.Fatalf("404 body: got %+v", b)
	}

	resp, err = http.Post(srv.URL+"/things", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 405 {
		t.Fatalf("wrong method: got %d, want 405", resp.StatusCode)
	}
	allow := strings.Join(resp.Header.Values("Allow"), ",")
	if !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow: got %q, want GET and DELETE", allow)
	}
	if b := decodeError(t, resp); b.Code != CodeMethodNotAllowed {
		t.Fatalf("405 body: got %+v", b)
	}
}

func TestPanicBecomesJSON500AndServerLives(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	var logs bytes.Buffer
	srv := newTestServer(t, Routes{Mux: mux}, &logs)

	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 {
		t.Fatalf("got %d, want 500", resp.StatusCode)
	}
	b := decodeError(t, resp)
	if b.Code != CodeInternal || strings.Contains(b.Message, "kaboom") {
		t.Fatalf("body: got %+v; want INTERNAL_ERROR without the panic value", b)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Error("the panic is not in the log")
	}
	resp, err = http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after panic: %v %v", resp, err)
	}
}

func TestRequestIDIsKeptWhenPlainAndReplacedOtherwise(t *testing.T) {
	srv := newTestServer(t, Routes{}, nil)
	for _, tc := range []struct{ sent, want string }{
		{"abc-123", "abc-123"},
		{"", ""},
		{"evil\" id with spaces", ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
		if tc.sent != "" {
			req.Header.Set("X-Request-Id", tc.sent)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if tc.want != "" && got != tc.want {
			t.Errorf("sent %q: got id %q, want %q", tc.sent, got, tc.want)
		}
		if tc.want == "" && (got == "" || got == tc.sent) {
			t.Errorf("sent %q: got id %q, want a fresh one", tc.sent, got)
		}
	}
}

func TestAccessLogNeverHasTheQuery(t *testing.T) {
	var logs bytes.Buffer
	srv := newTestServer(t, Routes{}, &logs)
	resp, err := http.Get(srv.URL + "/healthz?auth=secret-token&s=deadbeef")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.Contains(logs.String(), "secret-token") || strings.Contains(logs.String(), "deadbeef") {
		t.Fatalf("query leaked into the log: %s", logs.String())
	}
	if !strings.Contains(logs.String(), `"path":"/healthz"`) || !strings.Contains(logs.String(), `"request_id":"`+resp.Header.Get("X-Request-Id")+`"`) {
		t.Fatalf("access log line missing or without the request id: %s", logs.String())
	}
}

func TestReadinessReportsFailingChecks(t *testing.T) {
	fail := errors.New("down")
	srv := newTestServer(t, Routes{Ready: []Check{
		{Name: "good", Fn: func(context.Context) error { return nil }},
		{Name: "redis", Fn: func(context.Context) error { return fail }},
	}}, nil)
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 503 || body.Checks["redis"] != "unavailable" || body.Checks["good"] != "ok" {
		t.Fatalf("got %d %+v", resp.StatusCode, body)
	}
}

func TestHostAndPathRoutersClaimTheirRequests(t *testing.T) {
	hosts := RouterFunc(func(r *http.Request) (http.Handler, string) {
		if strings.HasPrefix(r.Host, "media.example.com") {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "host:"+r.URL.Path) }), "domain"
		}
		return nil, ""
	})
	paths := RouterFunc(func(r *http.Request) (http.Handler, string) {
		if r.URL.Path == "/dynamic" {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "path") }), "dynamic"
		}
		return nil, ""
	})
	srv := newTestServer(t, Routes{Hosts: []Router{hosts}, Paths: []Router{paths}}, nil)

	get := func(host, path string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("media.example.com", "/healthz"); code != 200 || body != "host:/healthz" {
		t.Errorf("custom host: got %d %q; the host router must win over fixed routes", code, body)
	}
	if code, body := get("", "/dynamic"); code != 200 || body != "path" {
		t.Errorf("path router: got %d %q", code, body)
	}
	if code, _ := get("", "/healthz"); code != 200 {
		t.Errorf("fixed route: got %d", code)
	}
}

func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := Handler(Routes{Mux: mux, Gatherer: reg}, log, NewMetrics(reg), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, New(Options{ReadHeaderTimeout: time.Second, IdleTimeout: time.Second}, h, log), ln, 10*time.Second, log)
	}()

	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel() // as SIGTERM does
	// New connections are refused once shutdown has begun...
	testutil.Eventually(t, 5*time.Second, "the listener refuses connections once shutdown has begun", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	// ...while the request in flight completes.
	close(release)
	if body := <-got; body != "done" {
		t.Fatalf("request in flight: got %q, want done", body)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// Every response carries X-Content-Type-Options: nosniff: a route's own,
// a 404, a 405, a 500 after a panic, and a response whose handler set a
// loose Content-Type.
func TestEveryResponseSaysNosniff(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "<script>alert(1)</script>")
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	srv := newTestServer(t, Routes{Mux: mux}, nil)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/page"}, {"GET", "/healthz"}, {"GET", "/nothing"}, {"POST", "/page"}, {"GET", "/boom"}, {"HEAD", "/page"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q", tc.method, tc.path, resp.StatusCode, got)
		}
	}
}

// A shutdown whose timeout passes with requests still running cuts them:
// their connections close, one warning counts them (net/http's and the
// fast lane's), and Serve returns nil: the shutdown kept its limit.
func TestShutdownCutsRequestsPastTheTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan string, 2)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		started <- "net/http"
		<-release
	})
	reg := prometheus.NewRegistry()
	var logs testutil.LogBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h := Handler(Routes{Mux: mux, Gatherer: reg}, log, NewMetrics(reg), nil)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The lane's own answer to /lane-slow takes as long.
	ln := fastlane.Listen(tcp, fastlane.HandlerFunc(func(req *fastlane.Request, resp *fastlane.Response) bool {
		if req.Path != "/lane-slow" {
			return false
		}
		started <- "lane"
		<-release
		resp.Status = http.StatusNoContent
		return true
	}), fastlane.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, New(Options{ReadHeaderTimeout: time.Second, IdleTimeout: time.Second}, h, log), ln, 200*time.Millisecond, log)
	}()

	cut := make(chan error, 2)
	for _, path := range []string{"/slow", "/lane-slow"} {
		go func() {
			resp, err := http.Get("http://" + tcp.Addr().String() + path)
			if err == nil {
				resp.Body.Close()
			}
			cut <- err
		}()
	}
	<-started
	<-started
	cancel() // as SIGTERM does
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v, want nil after cutting the requests", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the shutdown timeout")
	}
	for range 2 {
		select {
		case err := <-cut:
			if err == nil {
				t.Error("a request running past the shutdown timeout got an answer")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a connection was not closed at the shutdown timeout")
		}
	}
	var warnings []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["level"] == "WARN" {
			warnings = append(warnings, rec)
		}
	}
	if len(warnings) != 1 {
		t.Fatalf("got %d warnings, want 1:\n%s", len(warnings), logs.String())
	}
	if w := warnings[0]; !strings.Contains(w["msg"].(string), "shutdown timeout") || w["requests"] != float64(2) {
		t.Errorf("warning %v: want the shutdown timeout and requests 2", w)
	}
}
