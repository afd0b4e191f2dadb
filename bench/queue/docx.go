package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/office"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

const benchSecret = "queue-bench-signing-secret-01234"

// doc is an input document of the run.
type doc struct {
	pages    int    // pages asked for
	docx     []byte // the file
	pdfPages int    // pages of its PDF
	pdfBytes int64
}

// makeDocs makes a docx of each page count with LibreOffice itself (HTML →
// docx, as bench/office does), and converts each to PDF once to count its
// pages and the size of the PDF. It returns LibreOffice's version.
func makeDocs(work string, docs ...*doc) (string, error) {
	dir := filepath.Join(work, "maker")
	os.MkdirAll(dir, 0o755)
	e, err := office.New(office.Config{Slots: 1, WorkDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", err
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		return "", err
	}
	for _, d := range docs {
		if err := d.make(ctx, e, dir); err != nil {
			return "", err
		}
	}
	return e.Version(), nil
}

func (d *doc) make(ctx context.Context, e *office.Engine, dir string) error {
	var b strings.Builder
	for p := 1; p <= d.pages; p++ {
		style := ""
		if p > 1 {
			style = ` style="page-break-before: always"`
		}
		fmt.Fprintf(&b, "<h1%s>Benchmark document, page %d</h1>", style, p)
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(&b, "<p>Paragraph %d.%d. The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump.</p>", p, i)
		}
	}
	base := filepath.Join(dir, fmt.Sprintf("p%d", d.pages))
	html := base + ".html"
	if err := os.WriteFile(html, []byte(b.String()), 0o644); err != nil {
		return err
	}
	out1, out2 := base+"-docx", base+"-pdf"
	os.MkdirAll(out1, 0o755)
	os.MkdirAll(out2, 0o755)
	res, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: "docx",
		Inputs: []engine.File{{Path: html, Name: "bench.html"}}, WorkDir: out1})
	if err != nil {
		return err
	}
	res2, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "docx", OutputFormat: "pdf",
		Inputs: []engine.File{res.Files[0]}, WorkDir: out2})
	if err != nil {
		return err
	}
	if d.docx, err = os.ReadFile(res.Files[0].Path); err != nil {
		return err
	}
	pdf, err := os.ReadFile(res2.Files[0].Path)
	if err != nil {
		return err
	}
	d.pdfPages, d.pdfBytes = countPages(res2.Files[0].Path, pdf), int64(len(pdf))
	return nil
}

func (d *doc) String() string {
	return fmt.Sprintf("a docx of %d KiB, %d pages as PDF (%d KiB)", len(d.docx)>>10, d.pdfPages, d.pdfBytes>>10)
}

// countPages asks pdfinfo, or counts the page objects.
func countPages(path string, pdf []byte) int {
	if out, err := exec.Command("pdfinfo", path).Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "Pages:"); ok {
				var n int
				fmt.Sscan(strings.TrimSpace(v), &n)
				return n
			}
		}
	}
	return len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1))
}

// signedLink is the conversion link of d on the gateway at base: import
// the docx (base64, in the link), convert it to PDF, export it. No
// cache_key: every request runs a job.
func signedLink(base string, d *doc) string {
	file, _ := json.Marshal(base64.StdEncoding.EncodeToString(d.docx))
	job := `{"tasks":{"in":{"operation":"import/base64","file":` + string(file) + `,"filename":"bench.docx"},` +
		`"pdf":{"operation":"convert","input":"in","output_format":"pdf"},"out":{"operation":"export/url","input":"pdf"}}}`
	return urlsig.Sign(base+"/q", benchSecret, []byte(job), "")
}

// sample is one conversion as a user sees it.
type sample struct {
	redirect time.Duration // request → 302
	total    time.Duration // request → last byte of the PDF
	jobID    string
	// Wall-clock times, to set against the job's own timestamps.
	sent, got302, done time.Time
}

// convert clicks g's signed link for d: the request, its 302, the
// download of the PDF.
func (b *bench) convert(g *gw, d *doc) (sample, error) {
	t0 := time.Now()
	resp, err := b.client.Get(g.signed[d])
	if err != nil {
		return sample{}, err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return sample{}, fmt.Errorf("%s: signed link: %d %s", g.name, resp.StatusCode, msg)
	}
	t1 := time.Now()
	jobID := resp.Header.Get("X-Job-Id")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return sample{}, err
	}
	out, err := b.client.Get(g.url + loc.RequestURI())
	if err != nil {
		return sample{}, err
	}
	n, err := io.Copy(io.Discard, out.Body)
	out.Body.Close()
	if err != nil || out.StatusCode != http.StatusOK || n == 0 {
		return sample{}, fmt.Errorf("%s: output: %d, %d bytes, %v", g.name, out.StatusCode, n, err)
	}
	t2 := time.Now()
	return sample{redirect: t1.Sub(t0), total: t2.Sub(t0), jobID: jobID, sent: t0, got302: t1, done: t2}, nil
}
