package outputs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/signedgate/gateway/internal/testutil/redistest"
)

func TestLoadSecretConfigured(t *testing.T) {
	dir := t.TempDir()
	got, err := LoadSecret(context.Background(), "configured-secret-value", nil, "", dir)
	if err != nil || string(got) != "configured-secret-value" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, SecretFile)); !os.IsNotExist(err) {
		t.Errorf("a configured secret must not create a file: %v", err)
	}
}

func TestLoadSecretEmbedded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadSecret(context.Background(), "", nil, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 32 {
		t.Errorf("generated secret is %d bytes", len(first))
	}
	st, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", st.Mode().Perm())
	}
	again, err := LoadSecret(context.Background(), "", nil, "", dir)
	if err != nil || !bytes.Equal(first, again) {
		t.Errorf("second start read %q (%v), want the first secret", again, err)
	}
}

func TestLoadSecretRedisShared(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	a, err := LoadSecret(ctx, "", rdb, prefix, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadSecret(ctx, "", rdb, prefix, t.TempDir())
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("two instances got %q and %q (%v)", a, b, err)
	}
	p2 := redistest.Prefix()
	t.Cleanup(func() { rdb.Del(context.Background(), p2+SecretKey) })
	other, err := LoadSecret(ctx, "", rdb, p2, t.TempDir())
	if err != nil || bytes.Equal(a, other) {
		t.Errorf("another prefix shares the secret (%v)", err)
	}
}
