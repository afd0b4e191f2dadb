package pdfengine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/signedgate/gateway/internal/engine"
)

// Run performs a merge, convert or thumbnail task.
func (e *Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	req.Report(0)
	if len(req.Inputs) == 0 {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "the task has no input file")
	}
	out := engine.NormalizeFormat(req.OutputFormat)
	var res engine.Result
	var err error
	switch {
	case req.Operation == "merge" && out == "pdf":
		var f engine.File
		f, err = e.merge(ctx, req)
		res.Files = []engine.File{f}
	case (req.Operation == "convert" || req.Operation == "thumbnail") && (out == "png" || out == "jpg"):
		res.Files, err = e.render(ctx, req, out)
	default:
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s cannot %s to %s", Name, req.Operation, out)
	}
	if err != nil {
		return engine.Result{}, err
	}
	req.Report(100)
	return res, nil
}

func (e *Engine) merge(ctx context.Context, req engine.Request) (engine.File, error) {
	if len(req.Inputs) < 2 {
		return engine.File{}, engine.Errorf(engine.CodeInvalidInput, "merge needs at least 2 input files")
	}
	args := []string{"--warning-exit-0", "--empty", "--pages"}
	total := 0
	for i, in := range req.Inputs {
		d, err := e.inspect(ctx, in, 0, 0)
		if err != nil {
			return engine.File{}, err
		}
		if total += d.pages; total > e.cfg.MaxPages {
			return engine.File{}, engine.Errorf(engine.CodeTooLarge, "the merged PDF would have more than %d pages", e.cfg.MaxPages)
		}
		args = append(args, d.path)
		req.Report((i + 1) * 50 / len(req.Inputs))
	}
	name, err := engine.OutputName(req.Inputs[0], req.Options, "pdf")
	if err != nil {
		return engine.File{}, err
	}
	f, file, err := engine.CreateOutput(req.WorkDir, name)
	if err != nil {
		return engine.File{}, err
	}
	f.Close()
	outPath, err := filepath.Abs(file.Path)
	if err != nil {
		os.Remove(file.Path)
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not create the output file")
	}
	r, err := e.run(ctx, e.qpdf, append(args, "--", outPath)...)
	if err == nil && r.exit != 0 {
		err = failed(e.qpdf, r, "qpdf could not merge the PDFs")
	}
	if err != nil {
		os.Remove(file.Path)
		return engine.File{}, err
	}
	return file, nil
}

// render draws the pages a convert task asks for (the first page by default)
// or the first page for a thumbnail, each to its own file, for every input.
func (e *Engine) render(ctx context.Context, req engine.Request, out string) ([]engine.File, error) {
	ro, err := parseRender(req.Operation, req.Options)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(req.WorkDir, ".pdftoppm-")
	if err != nil {
		return nil, engine.Wrap(engine.CodeConversionFailed, err, "could not create a work directory")
	}
	defer os.RemoveAll(tmp)
	var files []engine.File
	fail := func(err error) ([]engine.File, error) {
		for _, f := range files {
			os.Remove(f.Path)
		}
		return nil, err
	}
	for i, in := range req.Inputs {
		// A first look for the page count, then one for the sizes of the
		// pages to render only, so a huge document costs no huge listing.
		d, err := e.inspect(ctx, in, 0, 0)
		if err != nil {
			return fail(err)
		}
		first, last := ro.first, ro.last
		if last == 0 {
			last = d.pages
		}
		if first > d.pages || last > d.pages {
			return fail(engine.Errorf(engine.CodeInvalidInput, "%s has %d pages; pages %d-%d do not exist", in.Name, d.pages, first, last))
		}
		if n := last - first + 1; n > e.cfg.MaxRenderPages {
			return fail(engine.Errorf(engine.CodeTooLarge, "at most %d pages can be rendered at once, not %d", e.cfg.MaxRenderPages, n))
		}
		if d, err = e.inspect(ctx, in, first, last); err != nil {
			return fail(err)
		}
		name, err := engine.OutputName(in, req.Options, out)
		if err != nil {
			return fail(err)
		}
		stem, ext := engine.SplitExt(name)
		for p := first; p <= last; p++ {
			n := name
			if last > first {
				n = fmt.Sprintf("%s-%d%s", stem, p, ext)
			}
			f, err := e.renderPage(ctx, d, p, ro, out, tmp, req.WorkDir, n)
			if err != nil {
				return fail(err)
			}
			files = append(files, f)
			req.Report((i*100 + (p-first+1)*100/(last-first+1)) / len(req.Inputs))
		}
	}
	return files, nil
}

func (e *Engine) renderPage(ctx context.Context, d docInfo, page int, ro renderOpts, out, tmp, workDir, name string) (engine.File, error) {
	size, ok := d.sizes[page]
	// Bounds on the page size keep every later product of sizes far from
	// overflowing; 1e6 points is over 300 metres.
	if !ok || !(size[0] >= 0.1 && size[1] >= 0.1) {
		return engine.File{}, engine.Errorf(engine.CodeInvalidInput, "page %d has no usable size", page)
	}
	if size[0] > 1e6 || size[1] > 1e6 {
		return engine.File{}, engine.Errorf(engine.CodeTooLarge, "page %d is too large to render", page)
	}
	g := ro.pageGeometry(size[0], size[1])
	if int64(g.w)*int64(g.h) > int64(e.cfg.MaxPixels) {
		return engine.File{}, engine.Errorf(engine.CodeTooLarge, "page %d would be %dx%d pixels, more than the limit of %d", page, g.w, g.h, e.cfg.MaxPixels)
	}
	args := []string{"-f", strconv.Itoa(page), "-l", strconv.Itoa(page), "-singlefile",
		"-scale-to-x", strconv.Itoa(g.w), "-scale-to-y", strconv.Itoa(g.h)}
	if out == "png" {
		args = append(args, "-png")
	} else {
		args = append(args, "-jpeg", "-jpegopt", "quality=90")
	}
	if g.cropW > 0 {
		args = append(args, "-x", strconv.Itoa(g.x), "-y", strconv.Itoa(g.y), "-W", strconv.Itoa(g.cropW), "-H", strconv.Itoa(g.cropH))
	}
	prefix, err := filepath.Abs(filepath.Join(tmp, "page"))
	if err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not create the output file")
	}
	r, err := e.run(ctx, e.pdftoppm, append(args, d.path, prefix)...)
	if err == nil && r.exit != 0 {
		err = failed(e.pdftoppm, r, fmt.Sprintf("page %d could not be rendered", page))
	}
	if err != nil {
		return engine.File{}, err
	}
	produced := prefix + "." + map[string]string{"png": "png", "jpg": "jpg"}[out]
	f, file, err := engine.CreateOutput(workDir, name)
	if err != nil {
		return engine.File{}, err
	}
	f.Close()
	if err := os.Rename(produced, file.Path); err != nil {
		os.Remove(file.Path)
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, fmt.Sprintf("page %d could not be rendered", page))
	}
	return file, nil
}
