package tlsserve

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store/filestore"
	"github.com/signedgate/gateway/internal/testutil/pebbletest"
)

// A name whose order failed is not ordered again at the next handshake:
// it backs off (FirstBackoff), and its handshakes fail at once.
func TestFailedOrdersBackOff(t *testing.T) {
	// The HTTP-01 challenge meets a server that answers 404 to everything.
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	_, httpPort := splitPort(notFound.Listener.Addr().String())
	ca := pebbletest.New(t)
	ca.Run(t, pebbletest.Options{Validate: true, HTTPPort: httpPort, TLSPort: httpPort})
	root, err := os.ReadFile(ca.RootFile())
	if err != nil {
		t.Fatal(err)
	}
	s, err := filestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	m, err := New(Options{
		ACME: &ACME{Directory: ca.DirectoryURL(), Root: root, HTTP01: true,
			HTTPAddr: notFound.Listener.Addr().String(), TLSAddr: "127.0.0.1:0"},
		Store:         s,
		Locker:        NewLocalLocker(),
		Registered:    func(_ context.Context, host string) (bool, error) { return host == "media.example.test", nil },
		ObtainTimeout: 3 * time.Second,
		Registerer:    reg,
		Log:           log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		srv := server.New(server.Options{ReadHeaderTimeout: 5 * time.Second}, http.NotFoundHandler(), log)
		served <- server.ServeTLS(ctx, srv, ln, m.TLSConfig(), 5*time.Second, 5*time.Second, log)
	}()
	defer func() { cancel(); <-served }()

	dial := func() error {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", ln.Addr().String(),
			&tls.Config{ServerName: "media.example.test", InsecureSkipVerify: true})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err == nil {
		t.Fatal("a certificate although its validation failed")
	}
	if n := ca.Orders(); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	if !strings.Contains(ca.Log(), "Attempting to validate w/ HTTP") {
		t.Fatalf("pebble did not validate:\n%s", ca.Log())
	}
	start := time.Now()
	if err := dial(); err == nil {
		t.Fatal("a certificate at the second handshake")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the second handshake took %v: it waited for an order", d)
	}
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders after the second handshake, want 1", n)
	}
	if v := testutil.ToFloat64(m.metrics.refused.WithLabelValues("backoff")); v != 1 {
		t.Errorf("backoff refusals: %v, want 1", v)
	}
	if v := testutil.ToFloat64(m.metrics.certificates.WithLabelValues("failed", "false")); v != 1 {
		t.Errorf("failed certificates: %v, want 1", v)
	}
}
