package tlsserve_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil/pebbletest"
)

// Certificates from files are served for every name (custom domains,
// unknown names, no SNI), over HTTP/2, and nothing contacts a CA: without
// GATEWAY_ACME the instance has no ACME client at all.
func TestCertificateFilesServeEveryName(t *testing.T) {
	certFile, keyFile, leaf := certFiles(t, "files.example.test")
	g := apptest.Start(t, map[string]string{
		"GATEWAY_TLS_ADDR":      "127.0.0.1:0",
		"GATEWAY_TLS_CERT_FILE": certFile,
		"GATEWAY_TLS_KEY_FILE":  keyFile,
	})
	if g.App.TLS.ACMEEnabled() {
		t.Fatal("ACME is on with certificate files alone")
	}
	serveDomain(t, g, "media.example.test")
	pool := x509.NewCertPool()
	pool.AddCert(leaf)

	resp, body := get(t, httpsClient(g.TLSAddr, pool), "https://files.example.test/healthz")
	if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/2.0" {
		t.Fatalf("https://files.example.test/healthz: %s %s %s", resp.Proto, resp.Status, body)
	}
	for _, name := range []string{"media.example.test", "unknown.example.test", ""} {
		got, err := handshake(g.TLSAddr, name)
		if err != nil {
			t.Errorf("SNI %q: %v", name, err)
			continue
		}
		if got.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			t.Errorf("SNI %q: serial %s, want the file's %s", name, got.SerialNumber, leaf.SerialNumber)
		}
	}

	// A custom domain's files over HTTPS: routed by Host, whatever the SNI.
	c := httpsClient(g.TLSAddr, pool)
	c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "files.example.test"}
	resp, body = get(t, c, "https://media.example.test/hello.txt")
	if resp.StatusCode != http.StatusOK || body != "hello" || resp.Proto != "HTTP/2.0" {
		t.Errorf("custom domain over HTTPS: %s %s %q", resp.Proto, resp.Status, body)
	}
}

// With ACME on as well, a name the files cover is served from them and
// never ordered (wildcards included), a registered domain they do not
// cover gets its own certificate over ACME, and any other name the files'.
func TestCertificateFilesComeBeforeACME(t *testing.T) {
	ca := pebbletest.Start(t, pebbletest.Options{})
	certFile, keyFile, leaf := certFiles(t, "media.example.test", "*.files.example.test")
	g := apptest.Start(t, acmeEnv(ca, map[string]string{
		"GATEWAY_TLS_CERT_FILE": certFile,
		"GATEWAY_TLS_KEY_FILE":  keyFile,
	}))
	serveDomain(t, g, "media.example.test")
	if code := g.Admin(t, "POST", "/v1/domains", map[string]string{"domain": "other.example.test", "bucket": "films"}, nil); code != http.StatusCreated {
		t.Fatalf("register other.example.test: %d", code)
	}

	for _, name := range []string{"media.example.test", "a.files.example.test", "unknown.example.test"} {
		got, err := handshake(g.TLSAddr, name)
		if err != nil || got.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			t.Errorf("SNI %q: %v %v, want the file's certificate", name, got, err)
		}
	}
	if n := ca.Orders(); n != 0 {
		t.Fatalf("%d orders for names the files cover, want 0", n)
	}
	servedSerial(t, g.TLSAddr, "other.example.test", ca.IssuingRoots(t))
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders, want 1 for other.example.test", n)
	}
}
