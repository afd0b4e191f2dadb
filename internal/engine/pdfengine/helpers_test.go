package pdfengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/testutil"
)

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if errors.Is(err, ErrNotInstalled) {
		testutil.MissingTool(t, "qpdf or poppler-utils", testutil.AptInstall("qpdf", "poppler-utils"))
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// makePDF writes a PDF of n pages of w x h points, each with a filled
// rectangle, by hand: objects, then a cross-reference table with their
// byte offsets, so every reader accepts it without repair.
func makePDF(t *testing.T, dir, name string, n int, w, h float64) engine.File {
	t.Helper()
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	kids := make([]string, n)
	for i := range n {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< >>") // 3: an empty resource dictionary
	for i := range n {
		content := fmt.Sprintf("0 0 1 rg 10 10 %d %d re f", i+10, i+10)
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] /Resources 3 0 R /Contents %d 0 R >>", w, h, 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return engine.File{Path: p, Name: name}
}

func npages(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("qpdf", "--show-npages", path).Output()
	if err != nil {
		t.Fatalf("qpdf --show-npages: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := engine.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}
