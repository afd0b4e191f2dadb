// Package apptest starts whole gateway instances for tests: built by
// app.New from a configuration read the way the binary reads it, served on
// a real loopback listener, and stopped when the test ends. Tests of every
// part start their gateways here, so that they all run the instance the
// binary runs.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/app"
)

// AdminToken is the admin token of every instance whose env does not set
// GATEWAY_ADMIN_TOKEN.
const AdminToken = "test-admin-token-0123456789"

// Gateway is one instance on 127.0.0.1.
type Gateway struct {
	App    *app.App
	Config config.Config
	// URL is where the instance listens: http://127.0.0.1:port.
	URL string
	// Token is the admin token the instance admits.
	Token string
	// TLSAddr is where its HTTPS listener is, 127.0.0.1:port, when env
	// sets GATEWAY_TLS_ADDR; "" otherwise.
	TLSAddr string

	ln       net.Listener
	tlsLn    net.Listener // nil without HTTPS
	logs     *testWriter
	stopOnce sync.Once
	stop     func() error // stops serving, if serving started
	stopErr  error
}

// Start builds an instance and serves it; see New for its configuration.
func Start(t testing.TB, env map[string]string, opts ...app.Option) *Gateway {
	t.Helper()
	g := New(t, env, opts...)
	g.Serve()
	return g
}

// New builds an instance and opens its listener without serving it yet:
// Serve or ServeHandler does that. The configuration is a test's one,
// overridden by env (a key present in env wins, even with an empty
// value, which asks for the configuration's own default):
//
//   - GATEWAY_ADDR is the listener's address and GATEWAY_PUBLIC_URL its
//     URL (an empty GATEWAY_PUBLIC_URL is derived from GATEWAY_ADDR, as
//     the binary derives it);
//   - when env sets GATEWAY_TLS_ADDR (to anything), a second loopback
//     listener is opened for HTTPS and GATEWAY_TLS_ADDR is its address;
//   - GATEWAY_DATA_DIR is a directory of the test's own;
//   - GATEWAY_ADMIN_TOKEN is AdminToken;
//   - GATEWAY_LOG_LEVEL is warn, and the log goes to the test's output,
//     which shows only for a failed test or with -v.
//
// opts go to app.New (app.WithClock, say). The instance stops and closes
// when the test ends.
func New(t testing.TB, env map[string]string, opts ...app.Option) *Gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	vars := map[string]string{
		"GATEWAY_ADDR":        ln.Addr().String(),
		"GATEWAY_PUBLIC_URL":  url,
		"GATEWAY_DATA_DIR":    t.TempDir(),
		"GATEWAY_ADMIN_TOKEN": AdminToken,
		"GATEWAY_LOG_LEVEL":   "warn",
	}
	for k, v := range env {
		vars[k] = v
	}
	var tlsLn net.Listener
	closeAll := func() {
		ln.Close()
		if tlsLn != nil {
			tlsLn.Close()
		}
	}
	if vars["GATEWAY_TLS_ADDR"] != "" {
		if tlsLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			closeAll()
			t.Fatal(err)
		}
		vars["GATEWAY_TLS_ADDR"] = tlsLn.Addr().String()
	}
	cfg, err := config.LoadFrom(vars)
	if err != nil {
		closeAll()
		t.Fatal(err)
	}
	log, logs := testLogger(t, cfg)
	a, err := app.New(context.Background(), cfg, log, opts...)
	if err != nil {
		closeAll()
		t.Fatal(err)
	}
	g := &Gateway{App: a, Config: cfg, URL: url, Token: a.AdminToken, ln: ln, tlsLn: tlsLn, logs: logs}
	if tlsLn != nil {
		g.TLSAddr = tlsLn.Addr().String()
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Errorf("stop the gateway at %s: %v", g.URL, err)
		}
	})
	return g
}

// Logged is everything the instance has logged so far, one text line per
// record (at GATEWAY_LOG_LEVEL, warn unless env says otherwise).
func (g *Gateway) Logged() string { return g.logs.String() }

// Serve serves the instance on its listener, and on its HTTPS listener
// when it has one, as the binary does.
func (g *Gateway) Serve() {
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 2)
	go func() { served <- g.App.Serve(ctx, g.ln) }()
	if g.tlsLn == nil {
		g.stop = func() error { cancel(); return <-served }
		return
	}
	go func() { served <- g.App.ServeTLS(ctx, g.tlsLn) }()
	g.stop = func() error { cancel(); return errors.Join(<-served, <-served) }
}

// ServeHandler serves h on the instance's listener with a plain
// http.Server instead; h is usually g.App.Handler() wrapped in something
// of the test's own.
func (g *Gateway) ServeHandler(h http.Handler) {
	srv := &http.Server{Handler: h}
	go srv.Serve(g.ln)
	g.stop = srv.Close
}

// Stop stops serving and closes the instance, before the test ends (to
// start another on the same data directory, say). It is safe to call more
// than once.
func (g *Gateway) Stop() error {
	g.stopOnce.Do(func() {
		var serveErr error
		if g.stop != nil {
			serveErr = g.stop()
		} else {
			g.ln.Close()
		}
		if g.tlsLn != nil {
			g.tlsLn.Close() // when not served (ServeHandler); else closed already
		}
		g.stopErr = g.App.Close()
		if g.stopErr == nil {
			g.stopErr = serveErr
		}
	})
	return g.stopErr
}

// Admin calls the admin API with the instance's token and returns the
// status. A nil body sends none, a string or []byte is sent as it is, and
// anything else as JSON. With out set, the answer is decoded into it and
// an answer that is not JSON fails the test.
func (g *Gateway) Admin(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, g.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
}

// testLogger logs at the configured level to the test's output until the
// test ends; what the instance logs later (while it closes, say) is
// dropped, since the testing package refuses output after a test.
func testLogger(t testing.TB, cfg config.Config) (*slog.Logger, *testWriter) {
	level, _ := config.ParseLogLevel(cfg.LogLevel) // validated by LoadFrom
	w := &testWriter{w: t.Output()}
	// Registered first, so it runs last: after the instance has stopped.
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), w
}

// testWriter writes to the test's output and keeps a copy for Logged.
type testWriter struct {
	mu     sync.Mutex
	w      io.Writer
	copy   bytes.Buffer
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return len(p), nil
	}
	w.copy.Write(p)
	return w.w.Write(p)
}

func (w *testWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.copy.String()
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}
