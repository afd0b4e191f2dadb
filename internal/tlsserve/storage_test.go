package tlsserve

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/store/filestore"
	"github.com/signedgate/gateway/internal/store/redisstore"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// storages are the record stores CertMagic's storage runs on.
var storages = map[string]func(t *testing.T) store.Store{
	"file": func(t *testing.T) store.Store {
		s, err := filestore.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"redis": func(t *testing.T) store.Store {
		rdb, prefix := redistest.Client(t)
		s := redisstore.New(rdb, prefix, nil)
		t.Cleanup(func() { s.Close() })
		return s
	},
}

// Storage keeps CertMagic's keys as a tree: values, directories made of
// their prefixes, listings, deletes of whole directories, and
// fs.ErrNotExist for what is not there, on every record store.
func TestStorageKeepsCertMagicsTree(t *testing.T) {
	for name, open := range storages {
		t.Run(name, func(t *testing.T) {
			testStorage(t, NewStorage(open(t), NewLocalLocker()))
		})
	}
}

func testStorage(t *testing.T, s certmagic.Storage) {
	ctx := context.Background()
	if _, err := s.Load(ctx, "certificates/ca/a.test/a.test.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing key: %v, want fs.ErrNotExist", err)
	}
	values := map[string][]byte{
		"certificates/ca/a.test/a.test.crt":  []byte("-----BEGIN CERTIFICATE-----\n"),
		"certificates/ca/a.test/a.test.key":  {0, 1, 2, 0xff, '"', '\\'},
		"certificates/ca/b.test/b.test.json": []byte(`{"sans":["b.test"]}`),
		"acme/ca/users/default/default.key":  []byte("key"),
	}
	before := time.Now().Add(-time.Second)
	for k, v := range values {
		if err := s.Store(ctx, k, v); err != nil {
			t.Fatalf("Store %s: %v", k, err)
		}
	}
	for k, v := range values {
		got, err := s.Load(ctx, k)
		if err != nil || string(got) != string(v) {
			t.Errorf("Load %s: %q %v, want %q", k, got, err, v)
		}
	}
	info, err := s.Stat(ctx, "certificates/ca/a.test/a.test.key")
	if err != nil || !info.IsTerminal || info.Size != 6 || info.Modified.Before(before) {
		t.Errorf("Stat of a value: %+v %v", info, err)
	}
	info, err = s.Stat(ctx, "certificates/ca")
	if err != nil || info.IsTerminal {
		t.Errorf("Stat of a directory: %+v %v", info, err)
	}
	if _, err := s.Stat(ctx, "certificates/c"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a prefix that is no directory: %v", err)
	}
	for key, want := range map[string]bool{
		"certificates": true, "certificates/ca/a.test": true, "acme/ca/users/default/default.key": true,
		"certificates/ca/a": false, "ocsp": false,
	} {
		if got := s.Exists(ctx, key); got != want {
			t.Errorf("Exists %s: %v, want %v", key, got, want)
		}
	}

	list, err := s.List(ctx, "certificates/ca", false)
	if want := []string{"certificates/ca/a.test", "certificates/ca/b.test"}; err != nil || !slices.Equal(list, want) {
		t.Errorf("List: %v %v, want %v", list, err, want)
	}
	list, err = s.List(ctx, "certificates", true)
	if want := []string{"certificates/ca", "certificates/ca/a.test", "certificates/ca/a.test/a.test.crt",
		"certificates/ca/a.test/a.test.key", "certificates/ca/b.test", "certificates/ca/b.test/b.test.json"}; err != nil || !slices.Equal(list, want) {
		t.Errorf("List recursive: %v %v, want %v", list, err, want)
	}
	if _, err := s.List(ctx, "ocsp", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing directory: %v", err)
	}

	if err := s.Delete(ctx, "certificates/ca/a.test"); err != nil {
		t.Fatalf("Delete a directory: %v", err)
	}
	if s.Exists(ctx, "certificates/ca/a.test/a.test.crt") || s.Exists(ctx, "certificates/ca/a.test") {
		t.Error("a deleted directory's values are still there")
	}
	if !s.Exists(ctx, "certificates/ca/b.test/b.test.json") {
		t.Error("a sibling of the deleted directory is gone")
	}
	if err := s.Delete(ctx, "certificates/ca/a.test"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}

	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Lock(lctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(lctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
}
