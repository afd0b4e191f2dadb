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

// makeDocx makes a docx of pages pages with LibreOffice itself (HTML →
// docx, as bench/office does), and converts it to PDF once to count its
// pages and the size of the PDF.
func makeDocx(work string, pages int) (docx []byte, pdfPages int, pdfBytes int64, version string, err error) {
	var b strings.Builder
	for p := 1; p <= pages; p++ {
		style := ""
		if p > 1 {
			style = ` style="page-break-before: always"`
		}
		fmt.Fprintf(&b, "<h1%s>Benchmark document, page %d</h1>", style, p)
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(&b, "<p>Paragraph %d.%d. The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs. How vexingly quick daft zebras jump.</p>", p, i)
		}
	}
	dir := filepath.Join(work, "maker")
	os.MkdirAll(dir, 0o755)
	html := filepath.Join(dir, "bench.html")
	if err := os.WriteFile(html, []byte(b.String()), 0o644); err != nil {
		return nil, 0, 0, "", err
	}
	e, err := office.New(office.Config{Slots: 1, WorkDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, 0, 0, "", err
	}
	defer e.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		return nil, 0, 0, "", err
	}
	out1 := filepath.Join(dir, "docx")
	out2 := filepath.Join(dir, "pdf")
	os.MkdirAll(out1, 0o755)
	os.MkdirAll(out2, 0o755)
	res, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: "docx",
		Inputs: []engine.File{{Path: html, Name: "bench.html"}}, WorkDir: out1})
	if err != nil {
		return nil, 0, 0, "", err
	}
	res2, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "docx", OutputFormat: "pdf",
		Inputs: []engine.File{res.Files[0]}, WorkDir: out2})
	if err != nil {
		return nil, 0, 0, "", err
	}
	docx, err = os.ReadFile(res.Files[0].Path)
	if err != nil {
		return nil, 0, 0, "", err
	}
	pdf, err := os.ReadFile(res2.Files[0].Path)
	if err != nil {
		return nil, 0, 0, "", err
	}
	return docx, countPages(res2.Files[0].Path, pdf), int64(len(pdf)), e.Version(), nil
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

// signedLink is the conversion link of the run on the gateway at base:
// import the docx (base64, in the link), convert it to PDF, export it. No
// cache_key: every request runs a job.
func (b *bench) signedLink(base string) string {
	file, _ := json.Marshal(base64.StdEncoding.EncodeToString(b.docx))
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

// convert clicks g's signed link: the request, its 302, the download of
// the PDF.
func (b *bench) convert(g *gw) (sample, error) {
	t0 := time.Now()
	resp, err := b.client.Get(g.signed)
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
