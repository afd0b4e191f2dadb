package tlsserve_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/pebbletest"
)

// acmeEnv configures a gateway with an HTTPS listener whose certificates
// come from ca, plus extra.
func acmeEnv(ca *pebbletest.Server, extra map[string]string) map[string]string {
	env := map[string]string{
		"GATEWAY_TLS_ADDR":     "127.0.0.1:0", // apptest opens it
		"GATEWAY_ACME":         "true",
		"GATEWAY_ACME_CA":      ca.DirectoryURL(),
		"GATEWAY_ACME_CA_ROOT": ca.RootFile(),
	}
	maps.Copy(env, extra)
	return env
}

// serveDomain makes the bucket films (a directory with hello.txt) and, on
// the instance g, the custom domain name for it.
func serveDomain(t *testing.T, g *apptest.Gateway, name string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := g.Admin(t, "PUT", "/v1/buckets/films", map[string]string{"origin": "file://" + dir}, nil); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("create bucket: %d", code)
	}
	if code := g.Admin(t, "POST", "/v1/domains", map[string]string{"domain": name, "bucket": "films"}, nil); code != http.StatusCreated {
		t.Fatalf("register %s: %d", name, code)
	}
}

// httpsClient sends every request to the HTTPS listener at addr, whatever
// the URL's host (which is the SNI), verifying the chain against roots. It
// follows no redirect.
func httpsClient(addr string, roots *x509.CertPool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			TLSClientConfig:   &tls.Config{RootCAs: roots},
			ForceAttemptHTTP2: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get fetches url and returns the answer with its body read.
func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// handshake opens a TLS connection to addr with the SNI name ("" sends
// none) and returns the certificate shown, unverified.
func handshake(addr, name string, protos ...string) (*x509.Certificate, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: name, InsecureSkipVerify: true, NextProtos: protos})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

// servedSerial is the serial number of the certificate name gets, verified
// for name against roots, fetching /hello.txt over HTTP/2.
func servedSerial(t *testing.T, addr, name string, roots *x509.CertPool) string {
	t.Helper()
	resp, body := get(t, httpsClient(addr, roots), "https://"+name+"/hello.txt")
	if resp.StatusCode != http.StatusOK || body != "hello" || resp.Proto != "HTTP/2.0" {
		t.Fatalf("https://%s/hello.txt: %s %s %q", name, resp.Proto, resp.Status, body)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.String()
}

// metric reports whether the instance's /metrics has a line starting with
// prefix (a metric name and its labels).
func metric(t *testing.T, g *apptest.Gateway, prefix string) string {
	t.Helper()
	resp, err := http.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(line, prefix))
		}
	}
	return ""
}

// certFiles writes a self-signed certificate for names, and its key, into
// a directory of t's own.
func certFiles(t *testing.T, names ...string) (certFile, keyFile string, leaf *x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	leaf = testutil.WriteCert(t, certFile, keyFile, names...)
	return certFile, keyFile, leaf
}
