package assets

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// s3Store is an asset store in a fresh S3 bucket of a real server, under
// prefix, and the object store it is in.
func s3Store(t *testing.T, prefix string) (*S3, *objects.S3) {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "assets")
	var stores Stores
	st, err := stores.For(t.Context(), s3Bucket(srv, prefix))
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*S3)
	return s, s.Objects()
}

func s3Bucket(srv *s3test.Server, prefix string) bucket.Bucket {
	yes := true
	origin := "s3://assets"
	if prefix != "" {
		origin += "/" + prefix
	}
	return bucket.Bucket{Name: "uploads", Origin: origin, S3: &bucket.S3{Endpoint: srv.Endpoint(), Region: srv.Region,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: &yes}}
}

func keys(t *testing.T, obj *objects.S3) []string {
	t.Helper()
	var out []string
	for info, err := range obj.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Key)
	}
	return out
}

func readAll(t *testing.T, f File) string {
	t.Helper()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(data)
}

// Assets in S3 keep the directory layout under the origin's prefix:
// stored, looked up, read whole and by range, replaced in another format
// and deleted without leaving anything.
func TestS3StoreLookupOpenDelete(t *testing.T) {
	s, obj := s3Store(t, "site/media")
	ctx := t.Context()
	a := Asset{PublicID: "dogs/rex", Type: Authenticated, ResourceType: "image", Format: "png", Bytes: 10,
		MIME: "image/png", CreatedAt: time.Unix(1700000000, 0).UTC(), Tags: []string{"a"}}
	if err := s.Store(ctx, stagedFile(t, "0123456789"), a, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{".authenticated/dogs/rex.png", ".meta/authenticated/dogs/rex.json"}
	if got := keys(t, obj); !reflect.DeepEqual(got, want) {
		t.Errorf("keys: got %v, want %v", got, want)
	}
	if obj.Key(want[0]) != "site/media/.authenticated/dogs/rex.png" {
		t.Errorf("not under the prefix: %s", obj.Key(want[0]))
	}
	got, ok, err := s.Lookup(ctx, Authenticated, "dogs/rex")
	if err != nil || !ok || got.StorageETag == "" {
		t.Fatalf("Lookup: got %+v %v %v", got, ok, err)
	}
	stored := got
	got.StorageETag = ""
	if !reflect.DeepEqual(got, a) {
		t.Errorf("Lookup: got %+v, want %+v", got, a)
	}
	if st, err := obj.Stat(ctx, want[0]); err != nil || st.ContentType != "image/png" || st.ETag != stored.StorageETag {
		t.Errorf("file object: %+v %v", st, err)
	}
	for _, miss := range []struct{ typ, id string }{{Upload, "dogs/rex"}, {Authenticated, "dogs"}, {"fetch", "dogs/rex"}, {Upload, "../x"}} {
		if _, ok, err := s.Lookup(ctx, miss.typ, miss.id); ok || err != nil {
			t.Errorf("Lookup(%q, %q): got %v %v, want not found", miss.typ, miss.id, ok, err)
		}
	}

	f, err := s.Open(ctx, stored)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, f); got != "0123456789" {
		t.Errorf("whole file: %q", got)
	}
	f.Seek(3, io.SeekStart)
	if err := f.(interface{ Prepare(int64) error }).Prepare(4); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "3456" {
		t.Errorf("bytes 3-6: %q %v", buf, err)
	}
	// Reading on past what was prepared reads on.
	if got := readAll(t, f); got != "789" {
		t.Errorf("the rest: %q", got)
	}
	if n, _ := f.Seek(-2, io.SeekEnd); n != 8 || readAll(t, f) != "89" {
		t.Errorf("the last two bytes")
	}
	f.Close()

	b := stored
	b.Format, b.Bytes, b.MIME = "jpg", 3, "image/jpeg"
	if err := s.Store(ctx, stagedFile(t, "jpg"), b, &stored); err != nil {
		t.Fatal(err)
	}
	want = []string{".authenticated/dogs/rex.jpg", ".meta/authenticated/dogs/rex.json"}
	if got := keys(t, obj); !reflect.DeepEqual(got, want) {
		t.Errorf("after replacing with another format: got %v, want %v", got, want)
	}
	// A reader of the old record finds the file gone.
	f, _ = s.Open(ctx, stored)
	if _, err := f.Read(make([]byte, 1)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reading the replaced file: %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, obj); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
	if err := s.Delete(ctx, b); err != nil {
		t.Errorf("deleting again: %v", err)
	}
}

// A new asset never takes a file name that is taken, by another asset or
// by an object put there by other means. S3 has no folders, so "a" and
// "a/b" can both be stored; a server that keeps objects as files (as
// versitygw's posix backend does) refuses the second, which is then a
// conflict that leaves nothing behind.
func TestS3StoreConflicts(t *testing.T) {
	s, obj := s3Store(t, "")
	ctx := t.Context()
	img := Asset{PublicID: "logo", Type: Upload, ResourceType: "image", Format: "png"}
	raw := Asset{PublicID: "logo.png", Type: Upload, ResourceType: "raw"}
	if err := s.Store(ctx, stagedFile(t, "image"), img, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Store(ctx, stagedFile(t, "raw"), raw, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("raw logo.png over image logo: %v, want ErrConflict", err)
	}
	obj.Put(ctx, "foreign.png", strings.NewReader("x"), 1, objects.WriteOptions{})
	if err := s.Store(ctx, stagedFile(t, "f"), Asset{PublicID: "foreign", Type: Upload, Format: "png"}, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("over a foreign object: %v, want ErrConflict", err)
	}
	if err := s.Store(ctx, stagedFile(t, "a"), Asset{PublicID: "a", Type: Upload, ResourceType: "raw"}, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{".meta/upload/a.json", ".meta/upload/a/b.json", ".meta/upload/logo.json", "a", "a/b", "foreign.png", "logo.png"}
	err := s.Store(ctx, stagedFile(t, "a/b"), Asset{PublicID: "a/b", Type: Upload, ResourceType: "raw"}, nil)
	if errors.Is(err, ErrConflict) {
		want = slices.DeleteFunc(want, func(k string) bool { return strings.Contains(k, "a/b") })
	} else if err != nil {
		t.Errorf("a/b beside a: %v, want success or ErrConflict", err)
	}
	if got := keys(t, obj); !reflect.DeepEqual(got, want) {
		t.Errorf("keys: got %v, want %v", got, want)
	}
	r, _ := obj.Get(ctx, "logo.png", objects.ReadOptions{})
	if data, _ := io.ReadAll(r); string(data) != "image" {
		t.Errorf("the image's file was replaced: %q", data)
	}
	r.Close()
}

// A file replaced behind its record's back is not read as the record's.
func TestS3OpenChangedFile(t *testing.T) {
	s, obj := s3Store(t, "")
	ctx := t.Context()
	a := Asset{PublicID: "doc", Type: Upload, ResourceType: "raw", Bytes: 3}
	if err := s.Store(ctx, stagedFile(t, "old"), a, nil); err != nil {
		t.Fatal(err)
	}
	a, _, _ = s.Lookup(ctx, Upload, "doc")
	obj.Put(ctx, "doc", strings.NewReader("new"), 3, objects.WriteOptions{})
	f, _ := s.Open(ctx, a)
	defer f.Close()
	if err := f.(interface{ Prepare(int64) error }).Prepare(3); !errors.Is(err, ErrChanged) {
		t.Errorf("prepare: %v, want ErrChanged", err)
	}
	if _, err := f.Read(make([]byte, 3)); !errors.Is(err, ErrChanged) {
		t.Errorf("read: %v, want ErrChanged", err)
	}
}

// A file sent in parts becomes the asset when its upload completes.
func TestS3StoreParts(t *testing.T) {
	s, obj := s3Store(t, "p")
	ctx := t.Context()
	a := Asset{PublicID: "film", Type: Private, ResourceType: "video", Format: "mp4", MIME: "video/mp4"}
	first := bytes.Repeat([]byte("f"), objects.MinPartSize)
	mp, err := s.BeginParts(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := mp.Part(ctx, 1, bytes.NewReader(first), int64(len(first))); err != nil {
		t.Fatal(err)
	}
	mp = s.ResumeParts(a, mp.ID(), mp.Parts())
	if err := mp.Part(ctx, 2, strings.NewReader("end"), 3); err != nil {
		t.Fatal(err)
	}
	a.Bytes = int64(len(first)) + 3
	if err := s.StoreParts(ctx, mp, a, nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Lookup(ctx, Private, "film")
	if !ok || err != nil {
		t.Fatalf("lookup: %v %v", ok, err)
	}
	f, _ := s.Open(ctx, got)
	f.Seek(int64(len(first))-1, io.SeekStart)
	if rest := readAll(t, f); rest != "fend" {
		t.Errorf("tail of the assembled file: %q", rest)
	}
	f.Close()
	if want := []string{".meta/private/film.json", ".private/film.mp4"}; !reflect.DeepEqual(keys(t, obj), want) {
		t.Errorf("keys: %v", keys(t, obj))
	}
}

// Stores gives a directory for file:// origins, one cached S3 store per
// configuration for s3:// ones, and refuses http(s) origins.
func TestStoresFor(t *testing.T) {
	var stores Stores
	ctx := context.Background()
	dir := t.TempDir()
	if st, err := stores.For(ctx, bucket.Bucket{Name: "f", Origin: "file://" + dir}); err != nil || st != Dir(dir) {
		t.Errorf("file origin: %v %v", st, err)
	}
	if _, err := stores.For(ctx, bucket.Bucket{Name: "h", Origin: "https://example.com/x"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("http origin: %v, want ErrReadOnly", err)
	}
	b := bucket.Bucket{Name: "s", Origin: "s3://media/x", S3: &bucket.S3{Endpoint: "http://127.0.0.1:1", AccessKeyID: "AK", SecretAccessKey: "one"}}
	one, err := stores.For(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := stores.For(ctx, b)
	b.S3 = &bucket.S3{Endpoint: "http://127.0.0.1:1", AccessKeyID: "AK", SecretAccessKey: "two"}
	other, _ := stores.For(ctx, b)
	if one != again || one == other {
		t.Errorf("cache: same settings give %p and %p; another secret gives %p", one, again, other)
	}
}
