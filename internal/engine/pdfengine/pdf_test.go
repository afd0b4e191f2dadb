package pdfengine

import (
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

func TestMerge(t *testing.T) {
	e := newEngine(t, Config{})
	dir := t.TempDir()
	a := makePDF(t, dir, "a.pdf", 2, 612, 792)
	b := makePDF(t, dir, "b.pdf", 3, 595, 842)
	c := makePDF(t, dir, "c.pdf", 1, 200, 200)
	work := t.TempDir()
	res, err := e.Run(testCtx(t), engine.Request{Operation: "merge", OutputFormat: "pdf",
		Inputs: []engine.File{a, b, c}, WorkDir: work})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Name != "a.pdf" {
		t.Fatalf("files %+v", res.Files)
	}
	if n := npages(t, res.Files[0].Path); n != 6 {
		t.Errorf("%d pages, want 6", n)
	}
}

func TestRender(t *testing.T) {
	e := newEngine(t, Config{})
	doc := makePDF(t, t.TempDir(), "doc.pdf", 4, 612, 792) // US letter
	tests := []struct {
		name, op, out string
		opts          engine.Options
		files         []string
		w, h          int
	}{
		{"first page at 150 dpi", "convert", "png", nil, []string{"doc.png"}, 1275, 1650},
		{"range", "convert", "jpg", engine.Options{"pages": "2-3", "dpi": 72}, []string{"doc-2.jpg", "doc-3.jpg"}, 612, 792},
		{"open range", "convert", "png", engine.Options{"pages": "3-", "width": 306}, []string{"doc-3.png", "doc-4.png"}, 306, 396},
		{"one page by number", "convert", "png", engine.Options{"pages": 4, "height": 100}, []string{"doc.png"}, 77, 100},
		{"all", "convert", "png", engine.Options{"pages": "all", "dpi": 36}, []string{"doc-1.png", "doc-2.png", "doc-3.png", "doc-4.png"}, 306, 396},
		{"thumbnail max", "thumbnail", "png", engine.Options{"width": 200, "height": 200}, []string{"doc.png"}, 155, 200},
		{"thumbnail crop", "thumbnail", "jpg", engine.Options{"width": 200, "height": 100, "fit": "crop"}, []string{"doc.jpg"}, 200, 100},
		{"thumbnail scale", "thumbnail", "png", engine.Options{"width": 50, "height": 50, "fit": "scale"}, []string{"doc.png"}, 50, 50},
		{"thumbnail ignores pages", "thumbnail", "png", engine.Options{"pages": "3", "width": 100}, []string{"doc.png"}, 100, 129},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			res, err := e.Run(testCtx(t), engine.Request{Operation: tt.op, InputFormat: "pdf", OutputFormat: tt.out,
				Inputs: []engine.File{doc}, Options: tt.opts, WorkDir: work})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != len(tt.files) {
				t.Fatalf("files %+v, want %v", res.Files, tt.files)
			}
			for i, f := range res.Files {
				if f.Name != tt.files[i] {
					t.Errorf("file %d is %q, want %q", i, f.Name, tt.files[i])
				}
				r, err := os.Open(f.Path)
				if err != nil {
					t.Fatal(err)
				}
				img, format, err := image.Decode(r)
				r.Close()
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				if want := map[string]string{"png": "png", "jpg": "jpeg"}[tt.out]; format != want {
					t.Errorf("%s is %s", f.Name, format)
				}
				if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
					t.Errorf("%s: %dx%d, want %dx%d", f.Name, b.Dx(), b.Dy(), tt.w, tt.h)
				}
			}
			// Nothing but the outputs is left: pdftoppm's directory is gone.
			if entries, _ := os.ReadDir(work); len(entries) != len(tt.files) {
				t.Errorf("work directory holds %d entries, want %d", len(entries), len(tt.files))
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	e := newEngine(t, Config{MaxPages: 10, MaxRenderPages: 3, MaxPixels: 4_000_000})
	dir := t.TempDir()
	good := makePDF(t, dir, "good.pdf", 5, 612, 792)
	other := makePDF(t, dir, "other.pdf", 6, 612, 792)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("plain text\n"), 0o644)
	broken := filepath.Join(dir, "broken.pdf")
	os.WriteFile(broken, []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\n%%EOF\n"), 0o644)
	locked := filepath.Join(dir, "locked.pdf")
	if out, err := exec.Command("qpdf", "--encrypt", "user", "owner", "256", "--", good.Path, locked).CombinedOutput(); err != nil {
		t.Fatalf("encrypting: %v\n%s", err, out)
	}
	huge := makePDF(t, dir, "huge.pdf", 1, 14400, 14400)
	files := map[string]engine.File{
		"good": good, "other": other, "text": {Path: text, Name: "notes.txt"},
		"broken": {Path: broken, Name: "broken.pdf"}, "locked": {Path: locked, Name: "locked.pdf"}, "huge": huge,
	}
	tests := []struct {
		name, op, out string
		inputs        []string
		opts          engine.Options
		code          string
	}{
		{"merge of one", "merge", "pdf", []string{"good"}, nil, engine.CodeInvalidInput},
		{"merge with text", "merge", "pdf", []string{"good", "text"}, nil, engine.CodeInvalidInput},
		{"merge with broken", "merge", "pdf", []string{"broken", "good"}, nil, engine.CodeInvalidInput},
		{"merge with encrypted", "merge", "pdf", []string{"good", "locked"}, nil, engine.CodeInvalidInput},
		{"merge too many pages", "merge", "pdf", []string{"good", "other"}, nil, engine.CodeTooLarge},
		{"merge to png", "merge", "png", []string{"good", "other"}, nil, engine.CodeUnsupportedConversion},
		{"render encrypted", "convert", "png", []string{"locked"}, nil, engine.CodeInvalidInput},
		{"render broken", "thumbnail", "png", []string{"broken"}, nil, engine.CodeInvalidInput},
		{"render text", "convert", "png", []string{"text"}, nil, engine.CodeInvalidInput},
		{"page beyond the end", "convert", "png", []string{"good"}, engine.Options{"pages": "6"}, engine.CodeInvalidInput},
		{"too many pages to render", "convert", "png", []string{"good"}, engine.Options{"pages": "1-4"}, engine.CodeTooLarge},
		{"too many pixels", "convert", "png", []string{"huge"}, nil, engine.CodeTooLarge},
		{"huge dpi", "convert", "png", []string{"good"}, engine.Options{"dpi": 600}, engine.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inputs []engine.File
			for _, n := range tt.inputs {
				inputs = append(inputs, files[n])
			}
			work := t.TempDir()
			_, err := e.Run(testCtx(t), engine.Request{Operation: tt.op, InputFormat: "pdf", OutputFormat: tt.out,
				Inputs: inputs, Options: tt.opts, WorkDir: work})
			wantCode(t, err, tt.code)
			if msg := engine.AsError(err).Message(); msg == "" || filepath.IsAbs(msg) {
				t.Errorf("message %q", msg)
			}
			if entries, _ := os.ReadDir(work); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// TestHostileOptionsRefused checks that option values that look like flags,
// shell syntax or nonsense are refused before any program runs.
func TestHostileOptionsRefused(t *testing.T) {
	e := newEngine(t, Config{})
	doc := makePDF(t, t.TempDir(), "doc.pdf", 2, 612, 792)
	values := []any{"-f", "1 -l 2", "1;id", "$(id)", "`id`", "1|id", "--", "@/etc/passwd", "1,3", "-1",
		"2-1", "NaN", "x", 1.5, -3, true, []any{1}, "1-2-3", "99999999"}
	for _, key := range []string{"pages", "dpi", "width", "height", "fit"} {
		vs := values
		if key == "pages" || key == "dpi" {
			vs = append(vs, "0", "1e3") // sizes where 0 means "not given"
		}
		for _, v := range vs {
			_, err := e.Run(testCtx(t), engine.Request{Operation: "convert", InputFormat: "pdf", OutputFormat: "png",
				Inputs: []engine.File{doc}, Options: engine.Options{key: v}, WorkDir: t.TempDir()})
			if code := engine.CodeOf(err); code != engine.CodeInvalidInput && code != engine.CodeTooLarge {
				t.Errorf("%s=%#v: code %q (%v)", key, v, code, err)
			}
		}
	}
}

func TestRegistry(t *testing.T) {
	e := newEngine(t, Config{})
	r := engine.NewRegistry()
	r.Register(e)
	for _, c := range [][3]string{{"merge", "pdf", "pdf"}, {"convert", "pdf", "png"}, {"convert", "PDF", "jpeg"}, {"thumbnail", "pdf", "jpg"}} {
		if got, err := r.Lookup(c[0], c[1], c[2]); err != nil || got.Name() != Name {
			t.Errorf("%v: %v, %v", c, got, err)
		}
	}
	if !strings.HasPrefix(e.Version(), "qpdf ") || strings.Contains(e.Version(), "unknown") {
		t.Errorf("version %q", e.Version())
	}
	if _, err := New(Config{QPDFPath: "/nonexistent/qpdf"}); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "Debian package qpdf") {
		t.Errorf("New with a missing program: %v", err)
	}
}
