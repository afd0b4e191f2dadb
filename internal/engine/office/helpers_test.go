package office

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/testutil"
)

// requireTools ends the test with testutil.MissingTool when LibreOffice,
// python3-uno or poppler-utils are missing.
func requireTools(t testing.TB) {
	t.Helper()
	testutil.NeedPrograms(t, "soffice", "pdftotext", "pdfinfo", "pdfimages")
	if exec.Command("/usr/bin/python3", "-I", "-c", "import uno").Run() != nil {
		testutil.MissingTool(t, "python3-uno (import uno in /usr/bin/python3)", testutil.AptInstall("python3-uno"))
	}
}

// newEngine starts an engine for one test and closes it at the end.
func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	requireTools(t)
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return e
}

var (
	sharedOnce sync.Once
	shared     *Engine
	sharedErr  error
)

// sharedEngine is one two-slot engine for the conversion tests, which do
// not disturb it; TestMain closes it.
func sharedEngine(t *testing.T) *Engine {
	t.Helper()
	requireTools(t)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "office-test-")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = New(Config{Slots: 2, WorkDir: dir})
		if sharedErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			sharedErr = shared.Start(ctx)
		}
	})
	if sharedErr != nil {
		t.Fatalf("shared engine: %v", sharedErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		dir := shared.cfg.WorkDir
		shared.Close()
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// convert runs one convert task of the file at path and returns the output.
func convert(t *testing.T, e *Engine, path, out string, opts engine.Options) (engine.File, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := e.Run(ctx, engine.Request{
		Operation: "convert", OutputFormat: out,
		Inputs:  []engine.File{{Path: path, Name: filepath.Base(path)}},
		Options: opts, WorkDir: filepath.Dir(path),
	})
	if err != nil {
		return engine.File{}, err
	}
	if len(res.Files) != 1 {
		t.Fatalf("got %d files, want 1", len(res.Files))
	}
	return res.Files[0], nil
}

func mustConvert(t *testing.T, e *Engine, path, out string, opts engine.Options) string {
	t.Helper()
	f, err := convert(t, e, path, out, opts)
	if err != nil {
		t.Fatalf("convert %s to %s: %v", filepath.Base(path), out, err)
	}
	return f.Path
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pdfText(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	return string(out)
}

var pagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)`)

func pdfPages(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", path, err)
	}
	m := pagesRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page count in %s", path, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// longText is n lines; at 40+ lines a page, 200 lines give several pages.
func longText(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Line %d of the long text\n", i)
	}
	return b.String()
}

// writeODP writes a minimal OpenDocument presentation with one slide per
// title, so the presentation path is tested without binary fixtures.
func writeODP(t *testing.T, dir, name string, titles ...string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// The mimetype entry must come first and be stored uncompressed.
	mw, err := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	mw.Write([]byte("application/vnd.oasis.opendocument.presentation"))
	files := map[string]string{
		"META-INF/manifest.xml": `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.presentation"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`,
	}
	var slides strings.Builder
	for i, title := range titles {
		fmt.Fprintf(&slides, `<draw:page draw:name="s%d"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>%s</text:p></draw:text-box></draw:frame></draw:page>`, i+1, title)
	}
	files["content.xml"] = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"><office:body><office:presentation>` +
		slides.String() + `</office:presentation></office:body></office:document-content>`
	for _, n := range []string{"META-INF/manifest.xml", "content.xml"} {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
