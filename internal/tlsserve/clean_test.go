package tlsserve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/store/filestore"
)

func certPEM(t *testing.T, name string, notAfter time.Time) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{name},
		NotBefore: notAfter.Add(-90 * 24 * time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Cleaning deletes a certificate (and its key and metadata) expired for
// longer than ExpiredGrace, keeps the others, and notes when it ran, so
// that another instance skips it for CleanInterval.
func TestCleaningDeletesLongExpiredCertificates(t *testing.T) {
	directory, conns := fakeCA(t)
	s, err := filestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := New(Options{ACME: &ACME{Directory: directory}, Store: s, Locker: NewLocalLocker(),
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := NewStorage(s, NewLocalLocker())
	ctx := context.Background()
	now := time.Now()
	for name, notAfter := range map[string]time.Time{
		"old.test":    now.Add(-ExpiredGrace - time.Hour),
		"recent.test": now.Add(-time.Hour),
		"valid.test":  now.Add(30 * 24 * time.Hour),
	} {
		dir := "certificates/ca/" + name + "/" + name
		st.Store(ctx, dir+".crt", certPEM(t, name, notAfter))
		st.Store(ctx, dir+".key", []byte("key"))
		st.Store(ctx, dir+".json", []byte("{}"))
	}
	if err := m.acme.clean(ctx); err != nil {
		t.Fatal(err)
	}
	if st.Exists(ctx, "certificates/ca/old.test") {
		t.Error("a certificate expired beyond the grace period is still stored")
	}
	for _, k := range []string{"certificates/ca/recent.test/recent.test.key", "certificates/ca/valid.test/valid.test.crt"} {
		if !st.Exists(ctx, k) {
			t.Errorf("%s was deleted", k)
		}
	}
	if !st.Exists(ctx, "last_clean.json") {
		t.Error("the time of the cleaning is not stored")
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections to the CA", n)
	}
}
