package assets

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func stagedFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "staged")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func TestStoreLookupDelete(t *testing.T) {
	d := Dir(t.TempDir())
	a := Asset{PublicID: "dogs/rex", Type: Authenticated, ResourceType: "image", Format: "png", Bytes: 3,
		CreatedAt: time.Unix(1700000000, 0).UTC(), Tags: []string{"a"}}
	if err := d.Store(t.Context(), stagedFile(t, "png"), a, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{".authenticated/dogs/rex.png", ".meta/authenticated/dogs/rex.json"}
	if got := listFiles(t, string(d)); !reflect.DeepEqual(got, want) {
		t.Errorf("files: got %v, want %v (no temporary files)", got, want)
	}
	got, ok, err := d.Lookup(t.Context(), Authenticated, "dogs/rex")
	if err != nil || !ok || !reflect.DeepEqual(got, a) {
		t.Errorf("Lookup: got %+v %v %v, want %+v", got, ok, err, a)
	}
	for _, miss := range []struct{ typ, id string }{{Upload, "dogs/rex"}, {Authenticated, "dogs"}, {Authenticated, "dogs/rex/x"}, {"fetch", "dogs/rex"}, {Upload, "../x"}} {
		if _, ok, err := d.Lookup(t.Context(), miss.typ, miss.id); ok || err != nil {
			t.Errorf("Lookup(%q, %q): got %v %v, want not found", miss.typ, miss.id, ok, err)
		}
	}

	b := a
	b.Format = "jpg"
	if err := d.Store(t.Context(), stagedFile(t, "jpg"), b, &a); err != nil {
		t.Fatal(err)
	}
	want = []string{".authenticated/dogs/rex.jpg", ".meta/authenticated/dogs/rex.json"}
	if got := listFiles(t, string(d)); !reflect.DeepEqual(got, want) {
		t.Errorf("after replacing with another format: got %v, want %v", got, want)
	}
	if err := d.Delete(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	if got := listFiles(t, string(d)); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
}

// A store that cannot complete leaves neither file nor record.
func TestStoreConflictLeavesNothing(t *testing.T) {
	d := Dir(t.TempDir())
	if err := d.Store(t.Context(), stagedFile(t, "1"), Asset{PublicID: "a/b", Type: Upload}, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "a/b/c"} {
		err := d.Store(t.Context(), stagedFile(t, "2"), Asset{PublicID: id, Type: Upload}, nil)
		if !errors.Is(err, ErrConflict) {
			t.Errorf("%s: got %v, want ErrConflict", id, err)
		}
	}
	want := []string{".meta/upload/a/b.json", "a/b"}
	if got := listFiles(t, string(d)); !reflect.DeepEqual(got, want) {
		t.Errorf("files: got %v, want %v", got, want)
	}
}

func TestValidatePublicID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"a", true}, {"dogs/rex", true}, {"my photo.jpg", true}, {"été", true},
		{"", false}, {"/a", false}, {"a/../b", false}, {"..", false}, {"a//b", false}, {"a/", false},
		{".hidden", false}, {"a/.meta", false}, {"a\x00b", false}, {"a\nb", false}, {`a\b`, false}, {"\xff", false},
	} {
		if err := ValidatePublicID(tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidatePublicID(%q): got %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}
