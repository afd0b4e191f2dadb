package tlsserve_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/pebbletest"
	"github.com/signedgate/gateway/internal/testutil/redistest"
	"github.com/signedgate/gateway/internal/tlsserve"
)

// A registered custom domain gets its certificate on its first HTTPS
// request, over HTTP/2, with a chain that verifies against the CA's
// issuing root for that name; later connections reuse it.
func TestRegisteredDomainGetsACertificateOnItsFirstRequest(t *testing.T) {
	ca := pebbletest.Start(t, pebbletest.Options{})
	g := apptest.Start(t, acmeEnv(ca, nil))
	serveDomain(t, g, "media.example.test")

	roots := ca.IssuingRoots(t)
	resp, body := get(t, httpsClient(g.TLSAddr, roots), "https://media.example.test/hello.txt")
	if resp.StatusCode != http.StatusOK || body != "hello" {
		t.Fatalf("first request: %s %q", resp.Status, body)
	}
	if resp.Proto != "HTTP/2.0" {
		t.Errorf("protocol %s, want HTTP/2.0", resp.Proto)
	}
	// The client verified the chain (RootCAs = Pebble's issuing root, the
	// URL's host as the name); say what it verified.
	chains := resp.TLS.VerifiedChains
	if len(chains) == 0 || len(chains[0]) < 2 {
		t.Fatalf("verified chains: %v", chains)
	}
	leaf := chains[0][0]
	if err := leaf.VerifyHostname("media.example.test"); err != nil || len(leaf.DNSNames) != 1 {
		t.Errorf("leaf names %v: %v", leaf.DNSNames, err)
	}
	if n := ca.Orders(); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}

	// A new connection is served from memory: no new order.
	if s := servedSerial(t, g.TLSAddr, "media.example.test", roots); s != leaf.SerialNumber.String() {
		t.Errorf("second connection: serial %s, want %s", s, leaf.SerialNumber)
	}
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders after a second connection, want 1", n)
	}
	// The gateway's readiness is unaffected.
	if resp, body := get(t, http.DefaultClient, g.URL+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %s %s", resp.Status, body)
	}
	if v := metric(t, g, `gateway_tls_acme_certificates_total{renewal="false",result="obtained"}`); v != "1" {
		t.Errorf("obtained certificates metric: %q, want 1", v)
	}
}

// A name that is not a registered custom domain gets no certificate (the
// handshake fails) and orders nothing, nor does a handshake without SNI or
// a TLS-ALPN-01 hello for it; a domain deleted after its certificate was
// obtained is no longer served.
func TestUnknownNamesGetNoCertificateAndOrderNothing(t *testing.T) {
	ca := pebbletest.Start(t, pebbletest.Options{})
	g := apptest.Start(t, acmeEnv(ca, nil))
	serveDomain(t, g, "media.example.test")

	for _, tc := range []struct {
		name   string
		protos []string
	}{
		{"unknown.example.test", nil},
		{"unknown.example.test", []string{server.ACMETLS1}},
		{"films.media.example.test", nil},
		{"", nil},
		{"127.0.0.1", nil},
	} {
		if leaf, err := handshake(g.TLSAddr, tc.name, tc.protos...); err == nil {
			t.Errorf("SNI %q %v: got a certificate for %v", tc.name, tc.protos, leaf.DNSNames)
		}
	}
	if v := metric(t, g, `gateway_tls_handshakes_refused_total{reason="unknown_name"}`); v != "5" {
		t.Errorf("refused handshakes metric: %q, want 5", v)
	}
	if n := ca.Orders(); n != 0 {
		t.Fatalf("%d orders for unknown names, want 0", n)
	}

	servedSerial(t, g.TLSAddr, "media.example.test", ca.IssuingRoots(t))
	var list struct {
		Domains []struct{ ID string } `json:"domains"`
	}
	g.Admin(t, "GET", "/v1/domains", nil, &list)
	if code := g.Admin(t, "DELETE", "/v1/domains/"+list.Domains[0].ID, nil, nil); code != http.StatusOK {
		t.Fatalf("delete the domain: %d", code)
	}
	testutil.Eventually(t, 2*time.Second, "a deleted domain's handshake fails", func() bool {
		_, err := handshake(g.TLSAddr, "media.example.test")
		return err != nil
	})
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders, want the 1 of the registered domain", n)
	}
}

// A second instance on the same Redis serves the certificate the first
// obtained (same serial), without a new order.
func TestInstancesOnRedisShareCertificates(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ca := pebbletest.Start(t, pebbletest.Options{})
	env := acmeEnv(ca, map[string]string{
		"GATEWAY_REDIS_URL":    redistest.URL(),
		"GATEWAY_REDIS_PREFIX": prefix,
	})
	a := apptest.Start(t, env)
	b := apptest.Start(t, env)
	serveDomain(t, a, "media.example.test")
	roots := ca.IssuingRoots(t)

	first := servedSerial(t, a.TLSAddr, "media.example.test", roots)
	if n := ca.Orders(); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	var second string
	testutil.Eventually(t, 2*time.Second, "the second instance knows the domain", func() bool {
		_, err := handshake(b.TLSAddr, "media.example.test")
		return err == nil
	})
	second = servedSerial(t, b.TLSAddr, "media.example.test", roots)
	if second != first {
		t.Errorf("second instance serves serial %s, want %s", second, first)
	}
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders after the second instance served, want 1", n)
	}
	// Where they are: the record store's hash of kind tls.
	keys, err := rdb.HKeys(context.Background(), prefix+"{records}:"+tlsserve.Kind).Result()
	if err != nil {
		t.Fatal(err)
	}
	checkStoredKeys(t, keys)
}

// checkStoredKeys checks that keys, the record ids of kind tls, hold a
// certificate, its private key and an ACME account key.
func checkStoredKeys(t *testing.T, keys []string) {
	t.Helper()
	var cert, key, account bool
	for _, k := range keys {
		cert = cert || strings.HasPrefix(k, "certificates/") && strings.HasSuffix(k, "/media.example.test.crt")
		key = key || strings.HasPrefix(k, "certificates/") && strings.HasSuffix(k, "/media.example.test.key")
		account = account || strings.HasPrefix(k, "acme/") && strings.Contains(k, "/users/") && strings.HasSuffix(k, ".key")
	}
	if !cert || !key || !account {
		t.Errorf("stored: certificate %v, key %v, account key %v; keys %v", cert, key, account, keys)
	}
}

// An embedded instance restarted on the same data directory serves the
// certificate it stored, without a new order.
func TestRestartedInstanceServesItsStoredCertificate(t *testing.T) {
	ca := pebbletest.Start(t, pebbletest.Options{})
	env := acmeEnv(ca, map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})
	a := apptest.Start(t, env)
	serveDomain(t, a, "media.example.test")
	roots := ca.IssuingRoots(t)
	first := servedSerial(t, a.TLSAddr, "media.example.test", roots)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	// Where they are: a file of the data directory, for its owner only.
	file := filepath.Join(env["GATEWAY_DATA_DIR"], "records", tlsserve.Kind+".json")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", file, fi.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	var records map[string]json.RawMessage
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	checkStoredKeys(t, slices.Collect(maps.Keys(records)))

	b := apptest.Start(t, env)
	if s := servedSerial(t, b.TLSAddr, "media.example.test", roots); s != first {
		t.Errorf("after the restart: serial %s, want %s", s, first)
	}
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
}
