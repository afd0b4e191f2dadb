package vips

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/internal/engine"
)

// Fit modes of thumbnail, as imagego names them.
const (
	FitMax   = "max"   // fit inside the box, never enlarged
	FitCrop  = "crop"  // fill the box, cropping the centre
	FitScale = "scale" // exactly the box, aspect ratio ignored
)

type params struct {
	width, height int
	fit           string
	quality       int
	strip         bool
}

func parseParams(op string, o engine.Options) (params, error) {
	p := params{fit: FitMax, quality: 85, strip: op == "optimize"}
	if op == "optimize" {
		p.quality = 75
	}
	var err error
	if p.width, err = o.Int("width"); err != nil {
		return p, err
	}
	if p.height, err = o.Int("height"); err != nil {
		return p, err
	}
	if p.width < 0 || p.height < 0 {
		return p, engine.Errorf(engine.CodeInvalidInput, "options width and height must not be negative")
	}
	if op == "thumbnail" && p.width == 0 && p.height == 0 {
		return p, engine.Errorf(engine.CodeInvalidInput, "thumbnail needs option width or height")
	}
	fit, err := o.String("fit")
	if err != nil {
		return p, err
	}
	switch fit {
	case "":
	case FitMax, FitCrop, FitScale:
		p.fit = fit
	default:
		return p, engine.Errorf(engine.CodeInvalidInput, "option fit must be max, crop or scale, not %q", fit)
	}
	if (p.fit == FitCrop || p.fit == FitScale) && (p.width == 0 || p.height == 0) {
		return p, engine.Errorf(engine.CodeInvalidInput, "fit %s needs both width and height", p.fit)
	}
	if o.Has("quality") {
		if p.quality, err = o.Int("quality"); err != nil {
			return p, err
		}
		if p.quality < 1 || p.quality > 100 {
			return p, engine.Errorf(engine.CodeInvalidInput, "option quality must be between 1 and 100")
		}
	}
	if o.Has("strip") {
		if p.strip, err = o.Bool("strip"); err != nil {
			return p, err
		}
	}
	return p, nil
}

// saveOptions builds the "[...]" suffix vips reads from an output file
// name; its parts come only from validated numbers and fixed words.
func saveOptions(format string, p params, optimize bool) string {
	var opts []string
	switch format {
	case "jpg":
		opts = append(opts, "Q="+strconv.Itoa(p.quality))
		if optimize {
			opts = append(opts, "optimize_coding")
		}
	case "webp", "heic":
		opts = append(opts, "Q="+strconv.Itoa(p.quality))
	case "avif":
		opts = append(opts, "Q="+strconv.Itoa(p.quality), "compression=av1")
	case "png":
		if optimize {
			opts = append(opts, "compression=9")
		}
	}
	if p.strip {
		opts = append(opts, "strip")
	}
	if len(opts) == 0 {
		return ""
	}
	return "[" + strings.Join(opts, ",") + "]"
}

// Run converts, thumbnails or optimizes each input. Options: width,
// height, fit (max, crop, scale), quality (1-100), strip, filename.
func (e *Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	req.Report(0)
	out := engine.NormalizeFormat(req.OutputFormat)
	in := engine.NormalizeFormat(req.InputFormat)
	if out == "" && req.Operation == "optimize" {
		out = in
	}
	if !e.supports(req.Operation, in, out) {
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s cannot %s %s to %s", Name, req.Operation, req.InputFormat, out)
	}
	if len(req.Inputs) == 0 {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "the task has no input file")
	}
	p, err := parseParams(req.Operation, req.Options)
	if err != nil {
		return engine.Result{}, err
	}
	if p.width > e.cfg.MaxSide || p.height > e.cfg.MaxSide || int64(p.width)*int64(p.height) > int64(e.cfg.MaxPixels) {
		return engine.Result{}, engine.Errorf(engine.CodeTooLarge, "the requested size %dx%d is over the limit of %d pixels and %d per side", p.width, p.height, e.cfg.MaxPixels, e.cfg.MaxSide)
	}
	var res engine.Result
	for i, input := range req.Inputs {
		f, err := e.runOne(ctx, req, input, in, out, p)
		if err != nil {
			for _, done := range res.Files {
				os.Remove(done.Path)
			}
			return engine.Result{}, err
		}
		res.Files = append(res.Files, f)
		req.Report((i + 1) * 100 / len(req.Inputs))
	}
	return res, nil
}

func (e *Engine) runOne(ctx context.Context, req engine.Request, input engine.File, in, out string, p params) (engine.File, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	// vips reads "[options]" from file names and flags from leading
	// dashes: it only ever sees names this engine made.
	dir, err := os.MkdirTemp(req.WorkDir, ".vips-")
	if err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not create a temporary directory")
	}
	defer os.RemoveAll(dir)
	// The programs' HOME, with their temporary files in tmp (see cmd).
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not create a temporary directory")
	}
	if in == "" {
		in = engine.FormatOf(input.Name)
	}
	src := filepath.Join(dir, "input."+in)
	abs, err := filepath.Abs(input.Path)
	if err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not read the input file")
	}
	if err := os.Symlink(abs, src); err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not read the input file")
	}
	h, err := e.readHeader(ctx, dir, src)
	if err != nil {
		if ctx.Err() != nil {
			return engine.File{}, engine.ContextError(ctx)
		}
		return engine.File{}, engine.Wrap(engine.CodeInvalidInput, err, "the input is not an image libvips can read")
	}
	if !e.loaders[h.loader] || (in != "" && loaderOf(in) != "" && loaderOf(in) != h.loader) {
		return engine.File{}, engine.Errorf(engine.CodeInvalidInput, "the input is not a %s image", in)
	}
	if h.width > e.cfg.MaxSide || h.height > e.cfg.MaxSide || int64(h.width)*int64(h.height) > int64(e.cfg.MaxPixels) {
		return engine.File{}, engine.Errorf(engine.CodeTooLarge, "the input image is %dx%d pixels; the limit is %d pixels and %d per side", h.width, h.height, e.cfg.MaxPixels, e.cfg.MaxSide)
	}
	req.Report(20)
	optimize := req.Operation == "optimize"
	dst := filepath.Join(dir, "output."+out)
	args := []string{"copy", src, dst + saveOptions(out, p, optimize)}
	if req.Operation == "thumbnail" || p.width > 0 || p.height > 0 {
		args = thumbnailArgs(src, dst+saveOptions(out, p, optimize), p, e.cfg.MaxSide)
	}
	var stderr bytes.Buffer
	c := e.cmd(ctx, dir, e.vips, args...)
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			if req.Operation != "" && ctx.Err() == context.DeadlineExceeded {
				return engine.File{}, engine.Wrap(engine.CodeTimeout, err, "libvips took too long")
			}
			return engine.File{}, engine.ContextError(ctx)
		}
		return engine.File{}, engine.Wrap(engine.CodeInvalidInput, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String())), "libvips could not process the image")
	}
	result := dst
	if optimize {
		// An already optimal file is kept as it is.
		if a, b := fileSize(dst), fileSize(abs); b > 0 && a >= b {
			result = abs
		}
	}
	name, err := engine.OutputName(input, req.Options, out)
	if err != nil {
		return engine.File{}, err
	}
	return copyOut(req.WorkDir, name, result)
}

func loaderOf(format string) string {
	for _, c := range candidates {
		if c.format == format {
			return c.loader
		}
	}
	return ""
}

// thumbnailArgs maps width, height and fit to vips thumbnail.
func thumbnailArgs(src, dst string, p params, maxSide int) []string {
	w, h := p.width, p.height
	if w == 0 {
		w = maxSide
	}
	if h == 0 {
		h = maxSide
	}
	args := []string{"thumbnail", src, dst, strconv.Itoa(w), "--height", strconv.Itoa(h)}
	switch p.fit {
	case FitMax:
		args = append(args, "--size", "down")
	case FitCrop:
		args = append(args, "--crop", "centre")
	case FitScale:
		args = append(args, "--size", "force")
	}
	return args
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func copyOut(dir, name, from string) (engine.File, error) {
	src, err := os.Open(from)
	if err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not read the output file")
	}
	defer src.Close()
	f, file, err := engine.CreateOutput(dir, name)
	if err != nil {
		return engine.File{}, err
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		os.Remove(file.Path)
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not write the output file")
	}
	if err := f.Close(); err != nil {
		os.Remove(file.Path)
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not write the output file")
	}
	return file, nil
}
