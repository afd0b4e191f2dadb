// Package imagego is the image engine that needs no external program: it
// converts, resizes (thumbnail) and re-encodes (optimize) raster images with
// the Go standard library and golang.org/x/image only, so a bare gateway
// binary can serve image jobs. It owns the decompression-bomb limits for
// those images.
//
// It reads png, jpg, gif, bmp, tiff and webp, and writes png, jpg, gif, bmp
// and tiff. Of an animated GIF only the first frame is used. Metadata (EXIF,
// ICC profiles, text chunks) is not carried over, which also means an EXIF
// orientation is not applied.
package imagego

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/signedgate/gateway/internal/engine"
)

// Default limits. 40 megapixels covers every phone camera while keeping one
// decoded image under about 160 MB (RGBA) or 320 MB (16-bit); 16384 per
// side refuses the thin images that pass a pixel-count check but still make
// resizers allocate per-row buffers of absurd size.
const (
	DefaultMaxPixels = 40_000_000
	DefaultMaxSide   = 16384
)

// Config holds the engine's limits; zero values mean the defaults.
type Config struct {
	// MaxPixels bounds width*height of both the input and the output.
	MaxPixels int
	// MaxSide bounds the width and the height of both input and output.
	MaxSide int
}

// Engine implements engine.Engine. It holds no state beyond its limits and is
// safe for concurrent use.
type Engine struct {
	limits limits
}

var (
	_ engine.Engine  = (*Engine)(nil)
	_ engine.BuiltIn = (*Engine)(nil)
)

// New returns an engine with the given limits.
func New(cfg Config) *Engine {
	l := limits{maxPixels: cfg.MaxPixels, maxSide: cfg.MaxSide}
	if l.maxPixels <= 0 {
		l.maxPixels = DefaultMaxPixels
	}
	if l.maxSide <= 0 {
		l.maxSide = DefaultMaxSide
	}
	return &Engine{limits: l}
}

// BuiltIn marks the engine as pure Go: every instance has it.
func (e *Engine) BuiltIn() {}

// Name is the value reported as a task's "engine".
func (e *Engine) Name() string { return "imagego" }

// Version is the Go toolchain and x/image version the binary was built with,
// since those are what decide the output bytes.
func (e *Engine) Version() string { return version() }

var version = sync.OnceValue(func() string {
	v := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "golang.org/x/image" {
				return v + " x/image " + dep.Version
			}
		}
	}
	return v
})

var (
	readFormats      = []string{"bmp", "gif", "jpg", "png", "tiff", "webp"}
	writeFormats     = []string{"bmp", "gif", "jpg", "png", "tiff"}
	thumbnailFormats = []string{"gif", "jpg", "png"}
	optimizeFormats  = []string{"jpg", "png"}
)

// Conversions lists convert (every readable format to every writable one),
// thumbnail (to png, jpg, gif) and optimize (jpg, png).
func (e *Engine) Conversions() []engine.Conversion {
	var cs []engine.Conversion
	for _, in := range readFormats {
		for _, out := range writeFormats {
			cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: out})
		}
		for _, out := range thumbnailFormats {
			cs = append(cs, engine.Conversion{Operation: "thumbnail", Input: in, Output: out})
		}
	}
	for _, f := range optimizeFormats {
		cs = append(cs, engine.Conversion{Operation: "optimize", Input: f, Output: f})
	}
	return cs
}

// Run converts each input to one output file. The registry has already
// matched the formats, but Run checks them again because it may be called
// directly, and the engine trusts only the file's content for the input
// format: a mislabelled png named .jpg is still read as png.
func (e *Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	out := engine.NormalizeFormat(req.OutputFormat)
	if out == "" && req.Operation == "optimize" {
		out = engine.NormalizeFormat(req.InputFormat)
	}
	if !e.supports(req.Operation, engine.NormalizeFormat(req.InputFormat), out) {
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion,
			"imagego cannot %s %s to %s", req.Operation, req.InputFormat, out)
	}
	if len(req.Inputs) == 0 {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "the task has no input file")
	}
	p, err := parseParams(req.Operation, req.Options)
	if err != nil {
		return engine.Result{}, err
	}
	if err := e.limits.checkRequest(p.width, p.height); err != nil {
		return engine.Result{}, err
	}

	var res engine.Result
	n := len(req.Inputs)
	for i, in := range req.Inputs {
		if err := engine.ContextError(ctx); err != nil {
			return engine.Result{}, err
		}
		stage := func(pct int) { req.Report((i*100 + pct) / n) }
		f, err := e.runOne(ctx, req, in, out, p, stage)
		if err != nil {
			return engine.Result{}, err
		}
		res.Files = append(res.Files, f)
	}
	req.Report(100)
	return res, nil
}

// supports checks an (op, in, out) triple against Conversions. An empty in
// is allowed: the format is sniffed from the content anyway.
func (e *Engine) supports(op, in, out string) bool {
	for _, c := range e.Conversions() {
		if c.Operation == op && c.Output == out && (in == "" || c.Input == in) {
			return true
		}
	}
	return false
}

func (e *Engine) runOne(ctx context.Context, req engine.Request, in engine.File, out string, p params, stage func(int)) (engine.File, error) {
	src, err := e.limits.decodeFile(in.Path)
	if err != nil {
		return engine.File{}, err
	}
	stage(40)
	if err := engine.ContextError(ctx); err != nil {
		return engine.File{}, err
	}

	img := src.img
	if req.Operation != "optimize" {
		g := fitBox(img.Bounds(), p.width, p.height, p.fit)
		if err := e.limits.check(g.w, g.h, "the requested output"); err != nil {
			return engine.File{}, err
		}
		img = resize(img, g)
	}
	stage(70)
	if err := engine.ContextError(ctx); err != nil {
		return engine.File{}, err
	}

	name, err := engine.OutputName(in, req.Options, out)
	if err != nil {
		return engine.File{}, err
	}
	enc := encoding{format: out, quality: p.quality, best: req.Operation == "optimize"}
	if req.Operation == "optimize" {
		return optimizeTo(req.WorkDir, name, in.Path, src.format == out, img, enc)
	}
	return writeTo(req.WorkDir, name, img, enc)
}
