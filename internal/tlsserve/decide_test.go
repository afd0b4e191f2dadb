package tlsserve

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/store/filestore"
)

// fakeCA counts the connections made to it: none is expected.
func fakeCA(t *testing.T) (directory string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	return "https://" + ln.Addr().String() + "/dir", conns
}

// Only registered custom domains and an eligible public host may have an
// ACME certificate; everything else is refused before CertMagic, and
// nothing, not even a failed lookup of the domains, reaches the CA.
func TestDecisionComesBeforeTheCA(t *testing.T) {
	directory, conns := fakeCA(t)
	s, err := filestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg := prometheus.NewRegistry()
	m, err := New(Options{
		ACME:       &ACME{Directory: directory, HTTP01: true, TLSALPN01: true},
		Store:      s,
		Locker:     NewLocalLocker(),
		PublicHost: "gw.example.test",
		Registered: func(_ context.Context, host string) (bool, error) {
			switch host {
			case "media.example.test":
				return true, nil
			case "down.example.test":
				return false, errors.New("record store unavailable")
			}
			return false, nil
		},
		Registerer: reg,
		Log:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	for name, want := range map[string]bool{
		"media.example.test": true, "gw.example.test": true,
		"unknown.example.test": false, "down.example.test": false, "": false, "127.0.0.1": false,
		"x.media.example.test": false,
	} {
		if got := m.decide(ctx, name) == nil; got != want {
			t.Errorf("decide(%q): %v, want %v", name, got, want)
		}
		if got := m.Serves(ctx, name); got != want {
			t.Errorf("Serves(%q): %v, want %v", name, got, want)
		}
		if want {
			continue
		}
		for _, protos := range [][]string{nil, {"h2", "http/1.1"}, {"acme-tls/1"}} {
			if c, err := m.TLSConfig().GetCertificate(&tls.ClientHelloInfo{ServerName: name, SupportedProtos: protos}); err == nil {
				t.Errorf("%q %v: got a certificate for %v", name, protos, c.Leaf)
			}
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections to the CA", n)
	}
	for _, host := range []string{"localhost", "192.0.2.1", ""} {
		m2, err := New(Options{ACME: &ACME{Directory: directory}, Store: s, Locker: NewLocalLocker(), PublicHost: host,
			Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if m2.publicHost != "" {
			t.Errorf("public host %q is eligible for ACME", host)
		}
		m2.Close()
	}
}
