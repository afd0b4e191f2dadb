package pebbletest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
)

// Pebble starts, its directory answers over TLS with the module's test
// root, and its issuing root can be read; no order has been made.
func TestStart(t *testing.T) {
	s := Start(t, Options{})
	root, err := os.ReadFile(s.RootFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(root) {
		t.Fatalf("%s holds no certificate", s.RootFile())
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(s.DirectoryURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("directory: %s", resp.Status)
	}
	if s.IssuingRoots(t) == nil {
		t.Fatal("no issuing root")
	}
	if n := s.Orders(); n != 0 {
		t.Fatalf("%d orders before any client", n)
	}
}
