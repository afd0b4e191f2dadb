package upload_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// outsideDir is a directory beside the bucket holding one file,
// keep.txt, that no upload, delivery or destroy may touch.
func outsideDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.txt"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func checkOutsideUntouched(t *testing.T, dir string, also ...string) {
	t.Helper()
	want := append([]string{"keep.txt"}, also...)
	if got := files(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("outside the bucket: got %v, want %v", got, want)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "keep.txt")); string(data) != "outside" {
		t.Errorf("outside/keep.txt changed: %q", data)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A folder of the bucket that is a symlink out of it: uploads into it are
// refused with a 400, as a data URI or a multipart file part, and write
// nothing (not even a temporary file) outside.
func TestUploadThroughSymlinkedFolderRefused(t *testing.T) {
	g := startGateway(t, nil)
	outside := outsideDir(t)
	mustSymlink(t, outside, filepath.Join(g.BucketDir, "dogs"))
	const want = "Public ID dogs/rex.txt cannot be stored: its path leads outside the bucket"

	got := g.upload(t, "raw", map[string]string{"public_id": "dogs/rex.txt"}, []byte("x"), "text/plain")
	if got.Status != 400 || got.errorMessage() != want {
		t.Errorf("data URI: got %d %s, want 400 %q", got.Status, got.Raw, want)
	}
	ct, body := multipartBody(signed(map[string]string{"public_id": "dogs/rex.txt"}, testSecret), "rex.txt", []byte("x"))
	req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if got := do(t, req); got.Status != 400 || got.errorMessage() != want {
		t.Errorf("multipart: got %d %s, want 400 %q", got.Status, got.Raw, want)
	}
	checkOutsideUntouched(t, outside)
	if left := files(t, filepath.Join(g.DataDir, "uploads")); len(left) != 0 {
		t.Errorf("refused uploads left %v in the work directory", left)
	}
}

// An asset's file or folder swapped for a symlink out of the bucket is
// not served from outside, and destroying the asset removes nothing there.
func TestDeliveryAndDestroyStayInTheBucket(t *testing.T) {
	g := startGateway(t, nil)
	outside := outsideDir(t)
	if got := g.upload(t, "raw", map[string]string{"public_id": "cat.txt"}, []byte("cat"), "text/plain"); got.Status != 200 {
		t.Fatalf("upload: got %d %s", got.Status, got.Raw)
	}
	file := filepath.Join(g.BucketDir, "cat.txt")
	os.Remove(file)
	mustSymlink(t, filepath.Join(outside, "keep.txt"), file)
	if got := g.get("/" + testCloud + "/raw/upload/cat.txt"); got.Status != 404 || bytes.Contains(got.Raw, []byte("outside")) {
		t.Errorf("delivery through a file link: got %d %q, want 404", got.Status, got.Raw)
	}

	if got := g.upload(t, "raw", map[string]string{"public_id": "birds/keep.txt"}, []byte("bird"), "text/plain"); got.Status != 200 {
		t.Fatalf("upload: got %d %s", got.Status, got.Raw)
	}
	os.RemoveAll(filepath.Join(g.BucketDir, "birds"))
	mustSymlink(t, outside, filepath.Join(g.BucketDir, "birds"))
	got := g.postForm("/v1_1/"+testCloud+"/raw/destroy", signed(map[string]string{"public_id": "birds/keep.txt"}, testSecret))
	if got.Status != 200 || got.JSON["result"] != "ok" {
		t.Errorf("destroy: got %d %s, want 200 ok", got.Status, got.Raw)
	}
	checkOutsideUntouched(t, outside)
}

// The work directory gets the same care: a chunked upload whose parts'
// directory is a symlink out of it, or a staging directory that is one,
// writes nothing there.
func TestWorkDirectorySymlinksNotFollowed(t *testing.T) {
	g := startGateway(t, nil)
	work := filepath.Join(g.DataDir, "uploads")

	chunks := outsideDir(t)
	sum := sha256.Sum256([]byte(testCloud + "\x00" + testKey + "\x00" + "up-1"))
	mustSymlink(t, chunks, filepath.Join(work, "chunks", hex.EncodeToString(sum[:16])))
	if got := g.sendChunk("up-1", map[string]string{"public_id": "c.bin"}, []byte("part"), 0, "-1"); got.Status == 200 {
		t.Errorf("chunk into a linked directory: got %d %s, want a refusal", got.Status, got.Raw)
	}
	checkOutsideUntouched(t, chunks)

	staging := outsideDir(t)
	os.RemoveAll(filepath.Join(work, "staging")) // made by the chunk above
	mustSymlink(t, staging, filepath.Join(work, "staging"))
	ct, body := multipartBody(signed(map[string]string{"public_id": "s.txt"}, testSecret), "s.txt", []byte("x"))
	req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if got := do(t, req); got.Status == 200 {
		t.Errorf("upload with a linked staging directory: got %d %s, want a refusal", got.Status, got.Raw)
	}
	checkOutsideUntouched(t, staging)
}
