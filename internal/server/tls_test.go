package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/testutil"
)

// serveTLS runs Handler behind ServeTLS and returns its address, the pool
// that trusts it and the function that shuts it down (also at cleanup).
// Routes: GET /hello answers the protocol and whether r.TLS is set, POST
// /echo the body, GET /slow is slow (nil: absent).
func serveTLS(t *testing.T, handshakeTimeout time.Duration, slow http.HandlerFunc) (string, *x509.CertPool, func() error) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s tls=%v sni=%s", r.Proto, r.TLS != nil, r.TLS.ServerName)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	if slow != nil {
		mux.HandleFunc("GET /slow", slow)
	}
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	h := Handler(Routes{Mux: mux, Gatherer: reg}, log, NewMetrics(reg), nil)
	cert, pool := testutil.SelfSigned(t, "gw.test")
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1", ACMETLS1}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		srv := New(Options{ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second}, h, log)
		served <- ServeTLS(ctx, srv, ln, cfg, handshakeTimeout, 10*time.Second, log)
	}()
	stop := sync1(func() error { cancel(); return <-served })
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	return ln.Addr().String(), pool, stop
}

// sync1 makes fn safe to call more than once: later calls return the
// first one's result.
func sync1(fn func() error) func() error {
	done := false
	var err error
	return func() error {
		if !done {
			done, err = true, fn()
		}
		return err
	}
}

func tlsClient(pool *x509.CertPool, h2 bool) *http.Client {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "gw.test"},
		ForceAttemptHTTP2: h2,
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The same handler answers over TLS in HTTP/2 and HTTP/1.1, with r.TLS set
// in both.
func TestServeTLSSpeaksHTTP2AndHTTP1(t *testing.T) {
	addr, pool, _ := serveTLS(t, 5*time.Second, nil)
	for _, tc := range []struct {
		h2   bool
		want string
	}{{true, "HTTP/2.0 tls=true sni=gw.test"}, {false, "HTTP/1.1 tls=true sni=gw.test"}} {
		resp, body := get(t, tlsClient(pool, tc.h2), "https://"+addr+"/hello")
		if resp.StatusCode != http.StatusOK || body != tc.want {
			t.Errorf("h2=%v: %d %q, want %q", tc.h2, resp.StatusCode, body, tc.want)
		}
	}
}

// HTTP/1.1 over TLS keeps the smuggling defence of plain HTTP: a request
// with Content-Length and Transfer-Encoding is refused and the connection
// closes.
func TestServeTLSRefusesAmbiguousFraming(t *testing.T) {
	addr, pool, _ := serveTLS(t, 5*time.Second, nil)
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "gw.test", NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, getHello+smuggling+getHello)
	br := bufio.NewReader(c)
	var codes []int
	var last string
	for _, m := range []string{"GET", "POST", "GET"} {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			break
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		codes, last = append(codes, resp.StatusCode), string(b)
	}
	if len(codes) != 2 || codes[0] != http.StatusOK || codes[1] != http.StatusBadRequest || !strings.Contains(last, "AMBIGUOUS_FRAMING") {
		t.Fatalf("answers %v, last %q; want 200, then 400 AMBIGUOUS_FRAMING and no more", codes, last)
	}
}

// A client that never finishes its handshake is dropped after the
// handshake timeout, and a TLS-ALPN-01 validation ends with its handshake.
func TestServeTLSDropsSilentClientsAndValidations(t *testing.T) {
	addr, pool, _ := serveTLS(t, 200*time.Millisecond, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("silent client: read %v, want EOF once the handshake timeout passed", err)
	}

	v, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "gw.test", NextProtos: []string{ACMETLS1}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if p := v.ConnectionState().NegotiatedProtocol; p != ACMETLS1 {
		t.Fatalf("negotiated %q", p)
	}
	v.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := v.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("acme-tls/1 connection: read %v, want EOF", err)
	}
}

// Shutdown lets an HTTP/2 request in flight finish, and stops while a
// client is in the middle of its handshake.
func TestServeTLSShutsDownGracefully(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	addr, pool, stop := serveTLS(t, time.Minute, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	stalled, err := net.Dial("tcp", addr) // never sends its ClientHello
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	got := make(chan string, 1)
	go func() {
		resp, err := tlsClient(pool, true).Get("https://" + addr + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- resp.Proto + " " + string(b)
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	testutil.Eventually(t, 5*time.Second, "the listener refuses connections once shutdown has begun", func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	close(release)
	if body := <-got; body != "HTTP/2.0 done" {
		t.Errorf("request in flight: %q", body)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("ServeTLS: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeTLS did not return after shutdown")
	}
}
