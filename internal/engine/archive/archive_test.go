package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// entry is what a test expects to read back from an archive.
type entry struct {
	name  string
	data  []byte
	mtime time.Time
	mode  os.FileMode
}

var fileTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// inputs writes files under the given user-facing names and returns them
// with the entries a correct archive holds for them.
func inputs(t *testing.T) ([]engine.File, []entry) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 300<<10)
	for i := range big {
		big[i] = byte(rng.IntN(256))
	}
	specs := []struct {
		name, want string
		data       []byte
		mtime      time.Time
		mode       os.FileMode
	}{
		{"a.png", "a.png", []byte("first"), fileTime, 0o600},
		{"a.png", "a (1).png", []byte("second"), fileTime, 0o755},
		{"A.png", "A (2).png", []byte("third, other case"), fileTime, 0o644},
		{"../../etc/passwd", "etc/passwd", []byte("root:x:0:0"), fileTime, 0o644},
		{"/abs/x.txt", "abs/x.txt", []byte("absolute"), fileTime, 0o644},
		{`sub\dir\y.txt`, "sub/dir/y.txt", []byte("windows path"), fileTime, 0o644},
		{"résumé.pdf", "résumé.pdf", []byte("utf-8 name"), fileTime, 0o644},
		{"..", "file", []byte("dots only"), fileTime, 0o644},
		{"old.txt", "old.txt", []byte("from 1970"), time.Unix(0, 0), 0o644},
		{"big.bin", "big.bin", big, fileTime, 0o644},
		{"empty.txt", "empty.txt", nil, fileTime, 0o644},
	}
	var files []engine.File
	var want []entry
	for i, s := range specs {
		p := filepath.Join(dir, "input-"+string(rune('a'+i)))
		if err := os.WriteFile(p, s.data, s.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, s.mode|os.ModeSetuid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, s.mtime, s.mtime); err != nil {
			t.Fatal(err)
		}
		files = append(files, engine.File{Path: p, Name: s.name})
		want = append(want, entry{name: s.want, data: s.data, mtime: sane(s.mtime), mode: fileMode})
	}
	return files, want
}

func TestWriteReadsBack(t *testing.T) {
	for _, format := range []string{"zip", "tar", "tar.gz", "tgz", "TAR.GZ"} {
		t.Run(format, func(t *testing.T) {
			files, want := inputs(t)
			var buf bytes.Buffer
			if err := Write(context.Background(), format, files, &buf); err != nil {
				t.Fatal(err)
			}
			got := readBack(t, engine.NormalizeFormat(format), buf.Bytes())
			if len(got) != len(want) {
				t.Fatalf("got %d entries, want %d", len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.name != w.name {
					t.Errorf("entry %d: got name %q, want %q", i, g.name, w.name)
				}
				if !bytes.Equal(g.data, w.data) {
					t.Errorf("%s: got %d bytes, want the %d bytes written", w.name, len(g.data), len(w.data))
				}
				if !g.mtime.Equal(w.mtime) {
					t.Errorf("%s: got mtime %v, want %v", w.name, g.mtime, w.mtime)
				}
				if g.mode != w.mode {
					t.Errorf("%s: got mode %v, want %v", w.name, g.mode, w.mode)
				}
			}
		})
	}
}

func readBack(t *testing.T, format string, data []byte) []entry {
	t.Helper()
	var out []entry
	if format == "zip" {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("read %s: %v", f.Name, err)
			}
			out = append(out, entry{name: f.Name, data: b, mtime: f.Modified.UTC(), mode: f.Mode()})
		}
		return out
	}
	var r io.Reader = bytes.NewReader(data)
	if format == "tar.gz" {
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: got owner %d:%d %q:%q, want none", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		out = append(out, entry{name: h.Name, data: b, mtime: h.ModTime.UTC(), mode: h.FileInfo().Mode()})
	}
}

func TestZipStoresCompressedFormats(t *testing.T) {
	dir := t.TempDir()
	var files []engine.File
	for _, name := range []string{"photo.JPG", "notes.txt"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Repeat([]byte("abc"), 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, engine.File{Path: p, Name: name})
	}
	var buf bytes.Buffer
	if err := Write(context.Background(), "zip", files, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []uint16{zip.Store, zip.Deflate} {
		if got := zr.File[i].Method; got != want {
			t.Errorf("%s: got method %d, want %d", zr.File[i].Name, got, want)
		}
	}
}

func TestWriteFailures(t *testing.T) {
	files, _ := inputs(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		format   string
		files    []engine.File
		wantCode string
	}{
		{"unknown format", context.Background(), "rar", files, engine.CodeUnsupportedConversion},
		{"missing input", context.Background(), "zip", []engine.File{{Path: "/nonexistent/x", Name: "x"}}, engine.CodeConversionFailed},
		{"directory input", context.Background(), "tar", []engine.File{{Path: t.TempDir(), Name: "d"}}, engine.CodeInvalidInput},
		{"cancelled", cancelled, "tar.gz", files, engine.CodeConversionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(tt.ctx, tt.format, tt.files, io.Discard)
			if got := engine.CodeOf(err); got != tt.wantCode {
				t.Errorf("got code %q (%v), want %s", got, err, tt.wantCode)
			}
		})
	}
	if err := Write(cancelled, "zip", files, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestEngineRun(t *testing.T) {
	files, want := inputs(t)
	var progress []int
	tests := []struct {
		name     string
		opts     engine.Options
		format   string
		wantName string
	}{
		{"default name", nil, "tgz", "archive.tar.gz"},
		{"filename option", engine.Options{"filename": "../out.zip"}, "zip", "out.zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			progress = nil
			res, err := Engine{}.Run(context.Background(), engine.Request{
				Operation: "archive", OutputFormat: tt.format, Inputs: files,
				Options: tt.opts, WorkDir: t.TempDir(),
				Progress: func(p int) { progress = append(progress, p) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Files[0].Name; got != tt.wantName {
				t.Errorf("got name %q, want %q", got, tt.wantName)
			}
			data, err := os.ReadFile(res.Files[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			if got := readBack(t, engine.NormalizeFormat(tt.format), data); len(got) != len(want) {
				t.Errorf("got %d entries, want %d", len(got), len(want))
			}
			if len(progress) == 0 || progress[len(progress)-1] != 100 {
				t.Errorf("got progress %v, want it to end at 100", progress)
			}
		})
	}

	reg := engine.NewRegistry()
	reg.Register(Engine{})
	if _, err := reg.Lookup("archive", "pdf", "tar.gz"); err != nil {
		t.Errorf("lookup archive pdf to tar.gz: %v", err)
	}
}
