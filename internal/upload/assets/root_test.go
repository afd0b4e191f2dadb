package assets

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// bucketWithOutside returns a bucket directory and a directory beside it
// holding one file, outside/keep.png, that nothing may touch.
func bucketWithOutside(t *testing.T) (Dir, string) {
	t.Helper()
	base := t.TempDir()
	bucket, outside := filepath.Join(base, "bucket"), filepath.Join(base, "outside")
	for _, d := range []string{bucket, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "keep.png"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	return Dir(bucket), outside
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func checkOutside(t *testing.T, outside string) {
	t.Helper()
	if got := listFiles(t, outside); !reflect.DeepEqual(got, []string{"keep.png"}) {
		t.Errorf("outside the bucket: got %v, want only keep.png", got)
	}
	if data, err := os.ReadFile(filepath.Join(outside, "keep.png")); err != nil || string(data) != "outside" {
		t.Errorf("outside/keep.png: got %q %v", data, err)
	}
}

func asset(typ, id string) Asset {
	return Asset{PublicID: id, Type: typ, ResourceType: "image", Format: "png", CreatedAt: time.Unix(1700000000, 0).UTC()}
}

// A symlink in the bucket that points out of it never lets a write, a
// temporary file or a record land outside: the store fails with
// ErrOutside and the outside directory is as it was.
func TestStoreRefusesSymlinksOutOfTheBucket(t *testing.T) {
	for _, tc := range []struct {
		name string
		link string // relative to the bucket; points at the outside directory
		rel  bool   // a relative link (../outside) rather than an absolute one
		a    Asset
	}{
		{"asset folder, absolute link", "dogs", false, asset(Upload, "dogs/rex")},
		{"asset folder, relative link", "dogs", true, asset(Upload, "dogs/rex")},
		{"nested asset folder", "a/b", false, asset(Upload, "a/b/c/rex")},
		{"type folder", ".private", false, asset(Private, "rex")},
		{"record folder", ".meta", false, asset(Upload, "rex")},
		{"record folder of the asset", ".meta/upload/dogs", true, asset(Upload, "dogs/rex")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, outside := bucketWithOutside(t)
			target := outside
			if tc.rel {
				rel, err := filepath.Rel(filepath.Dir(filepath.Join(string(d), tc.link)), outside)
				if err != nil {
					t.Fatal(err)
				}
				target = rel
			}
			symlink(t, target, filepath.Join(string(d), tc.link))
			err := d.Store(t.Context(), stagedFile(t, "png"), tc.a, nil)
			if !errors.Is(err, ErrOutside) {
				t.Errorf("Store: got %v, want ErrOutside", err)
			}
			checkOutside(t, outside)
			if got := listFiles(t, string(d)); !reflect.DeepEqual(got, []string{tc.link}) {
				t.Errorf("bucket holds %v after a failed store, want only the link %s", got, tc.link)
			}
		})
	}
}

// A symlinked file pointing out of the bucket is neither read, served,
// replaced through, nor deleted through; a symlinked folder likewise.
func TestReadsAndDeletesStayInTheBucket(t *testing.T) {
	d, outside := bucketWithOutside(t)
	a := asset(Upload, "dogs/rex")
	if err := d.Store(t.Context(), stagedFile(t, "png"), a, nil); err != nil {
		t.Fatal(err)
	}
	// The asset's file becomes a link to the outside file.
	file := filepath.Join(string(d), "dogs", "rex.png")
	os.Remove(file)
	symlink(t, filepath.Join(outside, "keep.png"), file)
	if f, err := d.Open(t.Context(), a); !errors.Is(err, fs.ErrNotExist) {
		var data []byte
		if f != nil {
			data, _ = io.ReadAll(f)
			f.Close()
		}
		t.Errorf("Open through a link out of the bucket: got %q %v, want ErrNotExist", data, err)
	}
	// A record that is a link to a record outside is no record.
	os.WriteFile(filepath.Join(outside, "cat.json"), []byte(`{"public_id":"cat","type":"upload"}`), 0o644)
	symlink(t, filepath.Join(outside, "cat.json"), filepath.Join(string(d), ".meta", "upload", "cat.json"))
	if _, ok, err := d.Lookup(t.Context(), Upload, "cat"); ok || err != nil {
		t.Errorf("Lookup through a link out of the bucket: got %v %v, want not found", ok, err)
	}
	os.Remove(filepath.Join(outside, "cat.json"))
	// Replacing the asset replaces the link, not the file it points at.
	b := a
	b.Version = 2
	if err := d.Store(t.Context(), stagedFile(t, "new"), b, &a); err != nil {
		t.Fatal(err)
	}
	checkOutside(t, outside)
	// Its folder becomes a link to the outside directory, which holds a
	// file of the asset's name: deleting the asset must not remove it.
	os.RemoveAll(filepath.Join(string(d), "dogs"))
	symlink(t, outside, filepath.Join(string(d), "dogs"))
	os.WriteFile(filepath.Join(outside, "rex.png"), []byte("outside"), 0o644)
	if err := d.Delete(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, "rex.png")); err != nil {
		t.Errorf("Delete removed a file outside the bucket: %v", err)
	}
	if _, ok, _ := d.Lookup(t.Context(), Upload, "dogs/rex"); ok {
		t.Error("the record survived Delete")
	}
}

// A new asset never takes the name of a file that is not its own: a raw
// asset "x.png" and an image "x" in format png share a file name, and a
// file put in the bucket by other means belongs to no asset.
func TestStoreNeverReplacesAnotherFile(t *testing.T) {
	d := Dir(t.TempDir())
	img := asset(Upload, "x")
	if err := d.Store(t.Context(), stagedFile(t, "image"), img, nil); err != nil {
		t.Fatal(err)
	}
	raw := Asset{PublicID: "x.png", Type: Upload, ResourceType: "raw"}
	if err := d.Store(t.Context(), stagedFile(t, "raw"), raw, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("raw x.png over image x: got %v, want ErrConflict", err)
	}
	os.WriteFile(filepath.Join(string(d), "logo.png"), []byte("operator's"), 0o644)
	if err := d.Store(t.Context(), stagedFile(t, "image"), asset(Upload, "logo"), nil); !errors.Is(err, ErrConflict) {
		t.Errorf("image logo over a file with no record: got %v, want ErrConflict", err)
	}
	// Another format of the same asset may not take someone else's name either.
	other := img
	other.Format = "jpg"
	os.WriteFile(filepath.Join(string(d), "x.jpg"), []byte("operator's"), 0o644)
	if err := d.Store(t.Context(), stagedFile(t, "jpg"), other, &img); !errors.Is(err, ErrConflict) {
		t.Errorf("image x as jpg over a file with no record: got %v, want ErrConflict", err)
	}
	for name, want := range map[string]string{"x.png": "image", "logo.png": "operator's", "x.jpg": "operator's"} {
		if data, _ := os.ReadFile(filepath.Join(string(d), name)); string(data) != want {
			t.Errorf("%s: got %q, want %q", name, data, want)
		}
	}
	want := []string{".meta/upload/x.json", "logo.png", "x.jpg", "x.png"}
	if got := listFiles(t, string(d)); !reflect.DeepEqual(got, want) {
		t.Errorf("files: got %v, want %v (no temporary files)", got, want)
	}
}

// Across file systems the staged file is copied through the root, then
// removed; the result is the same as a rename.
func TestStoreByCopy(t *testing.T) {
	moveInto = func(string, *os.File, string) error { return errCopy }
	t.Cleanup(func() { moveInto = renameInto })
	d, outside := bucketWithOutside(t)
	src := stagedFile(t, "copied")
	if err := d.Store(t.Context(), src, asset(Upload, "a/b"), nil); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(string(d), "a", "b.png")); err != nil || string(data) != "copied" {
		t.Errorf("stored file: got %q %v", data, err)
	}
	if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the staged file was not consumed: %v", err)
	}
	symlink(t, outside, filepath.Join(string(d), "dogs"))
	if err := d.Store(t.Context(), stagedFile(t, "x"), asset(Upload, "dogs/rex"), nil); !errors.Is(err, ErrOutside) {
		t.Errorf("copy into a linked folder: got %v, want ErrOutside", err)
	}
	checkOutside(t, outside)
	want := []string{".meta/upload/a/b.json", "a/b.png", "dogs"}
	if got := listFiles(t, string(d)); !reflect.DeepEqual(got, want) {
		t.Errorf("files: got %v, want %v (no temporary files)", got, want)
	}
}
