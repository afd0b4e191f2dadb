package tlsserve

import (
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

func served(t *testing.T, m *Manager, name string) string {
	t.Helper()
	c, err := m.TLSConfig().GetCertificate(&tls.ClientHelloInfo{ServerName: name})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c.Leaf.SerialNumber.String()
}

// The files are read again when their content changes; a pair that does
// not load leaves the one in force, and the next good pair replaces it.
func TestCertificateFilesAreReloaded(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := testutil.WriteCert(t, certFile, keyFile, "files.example.test")
	var logs testutil.LogBuffer
	m, err := New(Options{CertFile: certFile, KeyFile: keyFile, ReloadInterval: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if s := served(t, m, "files.example.test"); s != first.SerialNumber.String() {
		t.Fatalf("serial %s, want %s", s, first.SerialNumber)
	}

	second := testutil.WriteCert(t, certFile, keyFile, "files.example.test")
	testutil.Eventually(t, 5*time.Second, "the new certificate is served", func() bool {
		return served(t, m, "files.example.test") == second.SerialNumber.String()
	})

	// Half a renewal: a new certificate with the old key.
	key, _ := os.ReadFile(keyFile)
	testutil.WriteCert(t, certFile, filepath.Join(dir, "other-key.pem"), "files.example.test")
	testutil.Eventually(t, 5*time.Second, "the refusal is logged", func() bool {
		return strings.Contains(logs.String(), "certificate files not reloaded")
	})
	if s := served(t, m, "unknown.example.test"); s != second.SerialNumber.String() {
		t.Errorf("after a bad pair: serial %s, want the one in force, %s", s, second.SerialNumber)
	}
	if strings.Contains(logs.String(), string(key[40:80])) {
		t.Error("the log quotes the key")
	}
	if n := strings.Count(logs.String(), "certificate files not reloaded"); n != 1 {
		t.Errorf("the refusal is logged %d times, want once", n)
	}

	third := testutil.WriteCert(t, certFile, keyFile, "files.example.test")
	testutil.Eventually(t, 5*time.Second, "the next good pair is served", func() bool {
		return served(t, m, "files.example.test") == third.SerialNumber.String()
	})
}

// A Manager needs certificate files, ACME or both.
func TestNewNeedsACertificateSource(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("a Manager without any certificate source")
	}
}
