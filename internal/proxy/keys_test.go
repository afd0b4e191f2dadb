package proxy

import (
	"context"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/store/filestore"
	"github.com/signedgate/gateway/internal/verify/token"
)

func TestLookup(t *testing.T) {
	ctx := context.Background()
	s, err := filestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	repo := NewKeyRepo(s)
	defer repo.Close()
	buckets := bucket.NewRepo(s)
	defer buckets.Close()

	created := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	media := bucket.Bucket{Name: "media", Origin: "file:///srv", Policy: bucket.Authenticated, Created: created}
	if err := buckets.Put(ctx, "media", media); err != nil {
		t.Fatal(err)
	}
	_, pub1, _ := token.GenerateKey(0)
	_, pub2, _ := token.GenerateKey(0)
	rec := KeyRecord{ID: "k1", Bucket: "media", PublicKey: string(pub1), Created: created, BucketCreated: created}
	if err := repo.Put(ctx, "k1", rec); err != nil {
		t.Fatal(err)
	}

	k, ok, err := repo.Lookup(ctx, "k1", media)
	if err != nil || !ok || k.Bucket != "media" || k.Public == nil {
		t.Fatalf("got %+v %v %v", k, ok, err)
	}
	want1, _ := token.ParsePublic(pub1)
	if !k.Public.Equal(want1) {
		t.Error("wrong public key")
	}
	// Replaced under the same id: the new material, never the memo's.
	rec.PublicKey = string(pub2)
	if err := repo.Put(ctx, "k1", rec); err != nil {
		t.Fatal(err)
	}
	want2, _ := token.ParsePublic(pub2)
	if k, _, _ := repo.Lookup(ctx, "k1", media); !k.Public.Equal(want2) {
		t.Error("replaced key still answers with the old material")
	}
	// A bucket of the same name made later does not accept the key.
	later := media
	later.Created = created.Add(time.Minute)
	if _, ok, _ := repo.Lookup(ctx, "k1", later); ok {
		t.Error("the key opens a later bucket of the same name")
	}
	if _, ok, _ := repo.Lookup(ctx, "nope", media); ok {
		t.Error("unknown id found")
	}

	// Orphans: the bucket goes, so does the key.
	if gone, err := repo.DeleteOrphans(ctx, buckets); err != nil || len(gone) != 0 {
		t.Fatalf("nothing orphaned yet: %v %v", gone, err)
	}
	if err := buckets.Delete(ctx, "media"); err != nil {
		t.Fatal(err)
	}
	if gone, err := repo.DeleteOrphans(ctx, buckets); err != nil || len(gone) != 1 || gone[0] != "k1" {
		t.Fatalf("got %v %v, want [k1]", gone, err)
	}
	if _, ok, _ := repo.Lookup(ctx, "k1", media); ok {
		t.Error("orphan still found")
	}
}
