package tlsserve

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// fileSource is the certificate of GATEWAY_TLS_CERT_FILE and
// GATEWAY_TLS_KEY_FILE, read again by reload when their content changed.
type fileSource struct {
	certFile, keyFile string

	cur atomic.Pointer[tls.Certificate] // with Leaf set

	mu  sync.Mutex // one reload at a time
	sum [32]byte   // of the files in force
}

// newFileSource reads the pair, which must be valid.
func newFileSource(certFile, keyFile string) (*fileSource, error) {
	f := &fileSource{certFile: certFile, keyFile: keyFile}
	if _, err := f.reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// certificate is the pair in force.
func (f *fileSource) certificate() *tls.Certificate { return f.cur.Load() }

// covers reports whether the certificate is valid for name (wildcards
// included).
func (f *fileSource) covers(name string) bool {
	return name != "" && f.cur.Load().Leaf.VerifyHostname(name) == nil
}

// reload reads both files and, when their content changed and is a valid
// pair, puts it in force. A pair that does not load leaves the one in
// force (a renewal writes the two files one after the other).
func (f *fileSource) reload() (changed bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	certPEM, err := os.ReadFile(f.certFile)
	if err != nil {
		return false, fmt.Errorf("read GATEWAY_TLS_CERT_FILE: %w", err)
	}
	keyPEM, err := os.ReadFile(f.keyFile)
	if err != nil {
		return false, fmt.Errorf("read GATEWAY_TLS_KEY_FILE: %w", err)
	}
	h := sha256.New()
	h.Write(certPEM)
	h.Write([]byte{0})
	h.Write(keyPEM)
	var sum [32]byte
	h.Sum(sum[:0])
	if f.cur.Load() != nil && sum == f.sum {
		return false, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The library's error names no part of the key.
		return false, fmt.Errorf("GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE are not a certificate chain and its key: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return false, err
		}
	}
	f.sum = sum
	f.cur.Store(&cert)
	return true, nil
}

// errNoCertificate is the handshake's error for a name nothing serves.
var errNoCertificate = errors.New("no certificate for this server name")
