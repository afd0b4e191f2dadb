package tlsserve_test

import (
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil/pebbletest"
	"github.com/signedgate/gateway/internal/tlsserve"
)

// plain sends method path to the HTTP listener of g with the Host host,
// without following a redirect.
func plain(t *testing.T, g *apptest.Gateway, method, host, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, g.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func port(t *testing.T, addr string) int {
	t.Helper()
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		addr = u.Host
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// With GATEWAY_TLS_REDIRECT=true, the HTTP listener answers GET and HEAD
// for a name the HTTPS listener has a certificate for with a 308 to the
// same URL in https; not other methods, not other names, not the health
// endpoints of the gateway's own host, and not on the HTTPS listener.
func TestHTTPListenerRedirectsToHTTPS(t *testing.T) {
	certFile, keyFile, leaf := certFiles(t, "gw.example.test", "files.example.test")
	g := apptest.Start(t, map[string]string{
		"GATEWAY_TLS_ADDR":      "127.0.0.1:0",
		"GATEWAY_TLS_CERT_FILE": certFile,
		"GATEWAY_TLS_KEY_FILE":  keyFile,
		"GATEWAY_TLS_REDIRECT":  "true",
		"GATEWAY_PUBLIC_URL":    "https://gw.example.test",
	})
	tlsPort := strconv.Itoa(port(t, g.TLSAddr))
	for _, tc := range []struct {
		method, host, path string
		location           string // "": no redirect
	}{
		{"GET", "files.example.test", "/hello.txt?x=1&y=%20", "https://files.example.test:" + tlsPort + "/hello.txt?x=1&y=%20"},
		{"HEAD", "files.example.test:80", "/a/b", "https://files.example.test:" + tlsPort + "/a/b"},
		{"GET", "gw.example.test", "/v1/buckets", "https://gw.example.test:" + tlsPort + "/v1/buckets"},
		{"POST", "files.example.test", "/v1/buckets", ""},
		{"GET", "gw.example.test", "/healthz", ""},
		{"GET", "gw.example.test", "/readyz", ""},
		{"GET", "gw.example.test", "/metrics", ""},
		{"GET", "gw.example.test", tlsserve.ChallengePrefix + "token", ""},
		{"GET", "other.example.test", "/hello.txt", ""},
		{"GET", "127.0.0.1", "/hello.txt", ""},
	} {
		resp, body := plain(t, g, tc.method, tc.host, tc.path)
		got := ""
		if resp.StatusCode == http.StatusPermanentRedirect {
			got = resp.Header.Get("Location")
		}
		if got != tc.location {
			t.Errorf("%s %s%s: %s %q (Location %q), want Location %q", tc.method, tc.host, tc.path, resp.Status, body, got, tc.location)
		}
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, body := plain(t, g, "GET", "gw.example.test", p); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s %s", p, resp.Status, body)
		}
	}

	// The redirect's target answers over HTTPS, and is not redirected.
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	req, _ := http.NewRequest("GET", "https://gw.example.test/v1/buckets", nil)
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := httpsClient(g.TLSAddr, pool).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Proto != "HTTP/2.0" {
		t.Errorf("https://gw.example.test/v1/buckets: %s %s", resp.Proto, resp.Status)
	}
}

// HTTP-01 for real: Pebble validates the challenge on the HTTP listener
// (every name resolving to 127.0.0.1), which answers it ahead of the
// redirect and of the custom domain's bucket. A challenge path with no
// challenge under way is 404, for any host.
func TestHTTPListenerAnswersHTTP01Challenges(t *testing.T) {
	ca := pebbletest.New(t)
	g := apptest.New(t, acmeEnv(ca, map[string]string{
		"GATEWAY_ACME_CHALLENGES": "http-01",
		"GATEWAY_TLS_REDIRECT":    "true",
	}))
	ca.Run(t, pebbletest.Options{Validate: true, HTTPPort: port(t, g.URL), TLSPort: port(t, g.TLSAddr)})
	g.Serve()
	serveDomain(t, g, "media.example.test")

	servedSerial(t, g.TLSAddr, "media.example.test", ca.IssuingRoots(t))
	answered := metric(t, g, `gateway_http_requests_total{method="GET",route="`+tlsserve.ChallengeRouteName+`",status="200"}`)
	if answered == "" || answered == "0" {
		t.Errorf("HTTP-01 challenges answered: %q, want at least 1\n%s", answered, ca.Log())
	}
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	for _, host := range []string{"media.example.test", "unknown.example.test"} {
		resp, body := plain(t, g, "GET", host, tlsserve.ChallengePrefix+"no-such-token")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: challenge path without a challenge: %s %q", host, resp.Status, body)
		}
	}
	// Any other path of the domain is redirected.
	if resp, _ := plain(t, g, "GET", "media.example.test", "/hello.txt"); resp.StatusCode != http.StatusPermanentRedirect {
		t.Errorf("/hello.txt: %s, want 308", resp.Status)
	}
}

// TLS-ALPN-01 for real: Pebble validates the challenge in a handshake with
// the HTTPS listener.
func TestHTTPSListenerAnswersTLSALPN01Challenges(t *testing.T) {
	ca := pebbletest.New(t)
	g := apptest.New(t, acmeEnv(ca, map[string]string{"GATEWAY_ACME_CHALLENGES": "tls-alpn-01"}))
	ca.Run(t, pebbletest.Options{Validate: true, HTTPPort: port(t, g.URL), TLSPort: port(t, g.TLSAddr)})
	g.Serve()
	serveDomain(t, g, "media.example.test")

	servedSerial(t, g.TLSAddr, "media.example.test", ca.IssuingRoots(t))
	if n := ca.Orders(); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	if v := metric(t, g, `gateway_http_requests_total{method="GET",route="`+tlsserve.ChallengeRouteName+`"`); v != "" {
		t.Errorf("the HTTP listener answered a challenge: %s", v)
	}
}
