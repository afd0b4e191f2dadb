package pdfengine

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/internal/engine"
)

// docInfo is what pdfinfo tells of a PDF.
type docInfo struct {
	path  string // absolute, so that no argument starts with "-" or "@"
	pages int
	sizes map[int][2]float64 // page number to width, height in points, rotation applied
}

var (
	pageSizeRE = regexp.MustCompile(`^Page +(\d+) size: +([0-9.]+) x ([0-9.]+) pts`)
	pageRotRE  = regexp.MustCompile(`^Page +(\d+) rot: +(\d+)`)
)

// inspect checks that the file is a PDF that opens without a password and
// reads its page count and the sizes of pages first..last (none when
// first is 0). Everything wrong with the file is INVALID_INPUT with a
// message that says what.
func (e *Engine) inspect(ctx context.Context, f engine.File, first, last int) (docInfo, error) {
	d := docInfo{sizes: map[int][2]float64{}}
	p, err := filepath.Abs(f.Path)
	if err != nil {
		return d, engine.Wrap(engine.CodeConversionFailed, err, "could not read the input")
	}
	d.path = p
	if err := checkMagic(p, f.Name); err != nil {
		return d, err
	}
	args := []string{}
	if first > 0 {
		args = append(args, "-f", strconv.Itoa(first), "-l", strconv.Itoa(last))
	}
	r, err := e.run(ctx, e.pdfinfo, append(args, d.path)...)
	if err != nil {
		return d, err
	}
	if r.exit != 0 {
		if strings.Contains(strings.ToLower(r.stderr), "password") {
			return d, engine.Errorf(engine.CodeInvalidInput, "%s is encrypted with a password; decrypt it before converting it", f.Name)
		}
		return d, engine.Wrap(engine.CodeInvalidInput, failed(e.pdfinfo, r, ""), f.Name+" is not a valid PDF (it may be damaged)")
	}
	rot := map[int]int{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			d.pages, _ = strconv.Atoi(strings.TrimSpace(v))
		} else if m := pageSizeRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			w, _ := strconv.ParseFloat(m[2], 64)
			h, _ := strconv.ParseFloat(m[3], 64)
			d.sizes[n] = [2]float64{w, h}
		} else if m := pageRotRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			rot[n], _ = strconv.Atoi(m[2])
		}
	}
	for n, r := range rot {
		if s, ok := d.sizes[n]; ok && r%180 == 90 {
			d.sizes[n] = [2]float64{s[1], s[0]}
		}
	}
	if d.pages <= 0 {
		return d, engine.Errorf(engine.CodeInvalidInput, "%s has no pages", f.Name)
	}
	if d.pages > e.cfg.MaxPages {
		return d, engine.Errorf(engine.CodeTooLarge, "%s has %d pages, more than the limit of %d", f.Name, d.pages, e.cfg.MaxPages)
	}
	return d, nil
}

// checkMagic refuses files that do not start (within the first KiB, as
// readers allow) with the PDF header, since poppler "continues anyway" on
// anything and its error would be less clear.
func checkMagic(path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return engine.Wrap(engine.CodeConversionFailed, err, "could not read the input")
	}
	defer f.Close()
	head := make([]byte, 1024)
	n, _ := io.ReadFull(f, head)
	if !bytes.Contains(head[:n], []byte("%PDF-")) {
		return engine.Errorf(engine.CodeInvalidInput, "%s is not a PDF; convert it to pdf first", name)
	}
	return nil
}
