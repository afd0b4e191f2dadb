package config

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/testutil"
)

// writePair writes a self-signed certificate and its key into dir.
func writePair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	testutil.WriteCert(t, certFile, keyFile, "media.example.test")
	return certFile, keyFile
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLSIsOffByDefault(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.Enabled() || c.TLS.ACMEEnabled() || c.TLS.Redirect {
		t.Fatalf("TLS on by default: %+v", c.TLS)
	}
	if c.TLS.Directory() != LetsEncryptDirectory {
		t.Errorf("directory: got %q", c.TLS.Directory())
	}
	if !c.TLS.Challenge(ChallengeHTTP01) || !c.TLS.Challenge(ChallengeTLSALPN01) {
		t.Errorf("challenges: got %v, want both", c.TLS.ACMEChallenges)
	}
}

func TestTLSSettingsThatWork(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir)
	for name, env := range map[string]map[string]string{
		"files": {"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_TLS_CERT_FILE": certFile, "GATEWAY_TLS_KEY_FILE": keyFile, "GATEWAY_TLS_REDIRECT": "true"},
		"acme":  {"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_ACME": "true", "GATEWAY_ACME_EMAIL": "ops@example.com"},
		"private CA": {"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_ACME": "true", "GATEWAY_ACME_CA": "https://ca.internal:14000/dir",
			"GATEWAY_ACME_CA_ROOT": certFile, "GATEWAY_ACME_CHALLENGES": "tls-alpn-01"},
		"both": {"GATEWAY_TLS_ADDR": "127.0.0.1:8443", "GATEWAY_TLS_CERT_FILE": certFile, "GATEWAY_TLS_KEY_FILE": keyFile, "GATEWAY_ACME": "true"},
	} {
		c, err := LoadFrom(env)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !c.TLS.Enabled() || c.TLS.ACMEEnabled() != (env["GATEWAY_ACME"] == "true") {
			t.Errorf("%s: enabled %v, ACME %v", name, c.TLS.Enabled(), c.TLS.ACMEEnabled())
		}
	}
}

// Every TLS problem is reported at once, each naming its variable.
func TestTLSProblemsAreReportedAtOnce(t *testing.T) {
	dir := t.TempDir()
	certFile, _ := writePair(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	write(t, notPEM, []byte("hello"))
	missing := filepath.Join(dir, "missing.pem")

	cases := []struct {
		name string
		env  map[string]string
		want []string // each must appear in the error
	}{{
		name: "cert without key, unreadable CA root, bad CA URL, bad email, bad challenge",
		env: map[string]string{
			"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_TLS_CERT_FILE": certFile, "GATEWAY_ACME": "true",
			"GATEWAY_ACME_CA": "http://ca.example.com/dir", "GATEWAY_ACME_CA_ROOT": missing,
			"GATEWAY_ACME_EMAIL": "not an address", "GATEWAY_ACME_CHALLENGES": "dns-01",
		},
		want: []string{
			"GATEWAY_TLS_KEY_FILE: is required with GATEWAY_TLS_CERT_FILE",
			"GATEWAY_ACME_CA: want the https URL",
			"GATEWAY_ACME_CA_ROOT: cannot read " + missing,
			"GATEWAY_ACME_EMAIL:",
			`GATEWAY_ACME_CHALLENGES: want http-01 and/or tls-alpn-01, got "dns-01"`,
		},
	}, {
		name: "key without cert, unreadable key, CA root without a certificate",
		env: map[string]string{
			"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_TLS_KEY_FILE": missing, "GATEWAY_ACME": "true",
			"GATEWAY_ACME_CA_ROOT": notPEM,
		},
		want: []string{
			"GATEWAY_TLS_CERT_FILE: is required with GATEWAY_TLS_KEY_FILE",
			"GATEWAY_TLS_KEY_FILE: cannot read " + missing,
			"GATEWAY_ACME_CA_ROOT: " + notPEM + " holds no PEM certificate",
		},
	}, {
		name: "files that are not a pair",
		env:  map[string]string{"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_TLS_CERT_FILE": notPEM, "GATEWAY_TLS_KEY_FILE": certFile},
		want: []string{"GATEWAY_TLS_CERT_FILE: and GATEWAY_TLS_KEY_FILE are not a PEM certificate chain and its private key"},
	}, {
		name: "ACME, files and redirect without a TLS address",
		env: map[string]string{
			"GATEWAY_ACME": "true", "GATEWAY_TLS_REDIRECT": "true", "GATEWAY_TLS_CERT_FILE": certFile,
			"GATEWAY_TLS_KEY_FILE": certFile,
		},
		want: []string{
			"GATEWAY_ACME: needs GATEWAY_TLS_ADDR",
			"GATEWAY_TLS_REDIRECT: needs GATEWAY_TLS_ADDR",
			"GATEWAY_TLS_CERT_FILE: is set but GATEWAY_TLS_ADDR is not",
			"GATEWAY_TLS_KEY_FILE: is set but GATEWAY_TLS_ADDR is not",
		},
	}, {
		name: "a TLS address without certificates, ACME settings without ACME",
		env: map[string]string{
			"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_ACME_CA": "https://ca.example.com/dir", "GATEWAY_ACME_EMAIL": "ops@example.com",
		},
		want: []string{
			"GATEWAY_TLS_ADDR: needs certificates",
			"GATEWAY_ACME_CA: is set but GATEWAY_ACME is not true",
			"GATEWAY_ACME_EMAIL: is set but GATEWAY_ACME is not true",
		},
	}, {
		name: "bad and clashing addresses",
		env:  map[string]string{"GATEWAY_ADDR": ":8080", "GATEWAY_TLS_ADDR": "0.0.0.0:8080", "GATEWAY_ACME": "yes"},
		want: []string{
			"GATEWAY_TLS_ADDR: must differ from GATEWAY_ADDR",
			"GATEWAY_ACME: want true or false",
		},
	}, {
		name: "an address without a port",
		env:  map[string]string{"GATEWAY_TLS_ADDR": "media.example.com", "GATEWAY_ACME": "true"},
		want: []string{"GATEWAY_TLS_ADDR: want host:port"},
	}}
	for _, tc := range cases {
		_, err := LoadFrom(tc.env)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: the error does not say %q:\n%v", tc.name, w, err)
			}
		}
	}
}

// A key file that does not match is refused without quoting the key.
func TestTLSErrorsNeverQuoteTheKey(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir)
	other := t.TempDir()
	_, otherKey := writePair(t, other)
	_, err := LoadFrom(map[string]string{"GATEWAY_TLS_ADDR": ":8443", "GATEWAY_TLS_CERT_FILE": certFile, "GATEWAY_TLS_KEY_FILE": otherKey})
	if err == nil {
		t.Fatal("a certificate with another key was accepted")
	}
	key, _ := os.ReadFile(keyFile)
	block, _ := pem.Decode(key)
	if strings.Contains(err.Error(), "PRIVATE KEY") || strings.Contains(err.Error(), string(block.Bytes[:8])) {
		t.Fatalf("the error quotes the key: %v", err)
	}
}
