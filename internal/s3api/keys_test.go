package s3api

import (
	"context"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/store/filestore"
)

// unnotified is a store whose change notifications never arrive: another
// instance's view of it, the moment before they do.
type unnotified struct{ store.Store }

func (unnotified) Subscribe(func(store.Change)) func() { return func() {} }

// A key made through one instance is found by another whose view was
// read before the key existed, without waiting for the notification.
func TestKeyMadeElsewhereFoundAtOnce(t *testing.T) {
	fs, err := filestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	ctx := context.Background()
	here, there := NewKeyRepo(fs), NewKeyRepo(unnotified{fs})
	defer here.Close()
	defer there.Close()
	if _, ok, err := there.Lookup(ctx, "GKAAAAAAAAAAAAAAAAAA"); ok || err != nil {
		t.Fatalf("before: %v %v", ok, err)
	}
	k := AccessKey{ID: NewKeyID(), Secret: NewSecret(), Bucket: "films", Permissions: []string{Read}, Created: time.Now()}
	if err := here.Create(ctx, k.ID, k); err != nil {
		t.Fatal(err)
	}
	got, ok, err := there.Lookup(ctx, k.ID)
	if !ok || err != nil || got.Secret != k.Secret {
		t.Fatalf("a key made elsewhere: found %v, %v", ok, err)
	}
}
