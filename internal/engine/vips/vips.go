// Package vips is the libvips image engine: convert between raster formats,
// thumbnail and optimize, by running the vips and vipsheader programs
// (Debian package libvips-tools). It owns the mapping from task options to
// vips arguments, which only ever come from an allow-list, and the pixel
// limit that refuses decompression bombs from their header before decoding.
package vips

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// Name is the engine's name; Package the Debian package it needs.
const (
	Name    = "libvips"
	Package = "libvips-tools"
)

// Defaults for zero Config fields, the same as imagego's.
const (
	DefaultMaxPixels = 40_000_000
	DefaultMaxSide   = 16384
	DefaultTimeout   = 2 * time.Minute
)

// ErrNotInstalled is wrapped by New's error when vips is missing.
var ErrNotInstalled = errors.New("libvips is not installed")

// Config configures the engine; zero values mean the defaults.
type Config struct {
	// Dir holds vips and vipsheader (default: found in PATH).
	Dir string
	// MaxPixels bounds width*height*pages of the input and width*height of
	// the output; MaxSide bounds each side.
	MaxPixels int
	MaxSide   int
	// Timeout bounds one vips run.
	Timeout time.Duration
}

// Engine implements engine.Engine.
type Engine struct {
	cfg      Config
	vips     string
	header   string
	version  string
	formats  []string        // formats both loaded and saved, in order
	loaders  map[string]bool // vips loaders accepted for inputs
	tempRoot string
}

var _ engine.Engine = (*Engine)(nil)

// candidates are the formats the engine may handle, with the libvips loader
// that must have recognised an input of that format. Anything else
// (ImageMagick, PDF, SVG, matrix and raw loaders) is never run on user input.
var candidates = []struct{ format, loader string }{
	{"png", "pngload"}, {"jpg", "jpegload"}, {"webp", "webpload"}, {"gif", "gifload"},
	{"tiff", "tiffload"}, {"avif", "heifload"}, {"heic", "heifload"},
}

// New finds vips and detects, by a trial save, which formats this libvips
// build can write.
func New(cfg Config) (*Engine, error) {
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.MaxSide <= 0 {
		cfg.MaxSide = DefaultMaxSide
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	find := func(name string) (string, error) {
		if cfg.Dir != "" {
			name = filepath.Join(cfg.Dir, name)
		}
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%w: %v (Debian package %s)", ErrNotInstalled, err, Package)
		}
		return p, nil
	}
	e := &Engine{cfg: cfg, loaders: map[string]bool{}}
	var err error
	if e.vips, err = find("vips"); err != nil {
		return nil, err
	}
	if e.header, err = find("vipsheader"); err != nil {
		return nil, err
	}
	d, err := detectOnce(e)
	if err != nil {
		return nil, err
	}
	e.version, e.formats, e.loaders = d.version, d.formats, d.loaders
	if len(e.formats) == 0 {
		return nil, fmt.Errorf("%w: this libvips saves none of %v", ErrNotInstalled, candidates)
	}
	return e, nil
}

// cmd runs a vips program with untrusted loaders (ImageMagick, PDFium...)
// blocked, should a file slip past the loader check, and none of the
// gateway's environment (see engine.ChildEnv). With home set, HOME is home
// and the large images libvips decodes to disc go to home/tmp, which the
// caller made; else to the system's temporary directory.
func (e *Engine) cmd(ctx context.Context, home, bin string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, bin, args...)
	vars := []string{"VIPS_BLOCK_UNTRUSTED=1", "VIPS_WARNING=0"}
	if home != "" {
		vars = append(vars, "HOME="+home, "TMPDIR="+filepath.Join(home, "tmp"))
	}
	c.Env = engine.ChildEnv(vars...)
	c.WaitDelay = 5 * time.Second
	return c
}

func (e *Engine) Name() string    { return Name }
func (e *Engine) Version() string { return e.version }

// Formats lists the formats this libvips build reads and writes.
func (e *Engine) Formats() []string { return append([]string(nil), e.formats...) }

// Conversions: convert and thumbnail between every pair of detected
// formats; optimize for jpg, png and webp.
func (e *Engine) Conversions() []engine.Conversion { return conversions(e.formats) }

// Conversions lists what the engine does with a libvips that saves every
// format it may handle (png, jpg, webp, gif, tiff, avif, heic): a superset
// of any installed engine's Conversions, which keeps only the formats its
// libvips build writes. It describes the engine where it is not installed.
func Conversions() []engine.Conversion {
	var formats []string
	for _, c := range candidates {
		formats = append(formats, c.format)
	}
	return conversions(formats)
}

func conversions(formats []string) []engine.Conversion {
	var cs []engine.Conversion
	for _, in := range formats {
		for _, out := range formats {
			if in != out {
				cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: out})
			}
			cs = append(cs, engine.Conversion{Operation: "thumbnail", Input: in, Output: out})
		}
	}
	for _, f := range formats {
		if f == "jpg" || f == "png" || f == "webp" {
			cs = append(cs, engine.Conversion{Operation: "optimize", Input: f, Output: f})
		}
	}
	return cs
}

func (e *Engine) supports(op, in, out string) bool {
	for _, c := range e.Conversions() {
		if c.Operation == op && c.Output == out && (in == "" || c.Input == in) {
			return true
		}
	}
	return false
}

// header is what vipsheader says about a file.
type header struct {
	width, height, pages int
	loader               string
}

func (e *Engine) readHeader(ctx context.Context, home, path string) (header, error) {
	var stderr bytes.Buffer
	c := e.cmd(ctx, home, e.header, "-a", path)
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return header{}, fmt.Errorf("vipsheader: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseHeader(string(out))
}

// parseHeader reads the "name: value" lines of vipsheader -a.
func parseHeader(out string) (header, error) {
	h := header{pages: 1}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "width":
			fmt.Sscan(v, &h.width)
		case "height":
			fmt.Sscan(v, &h.height)
		case "n-pages":
			fmt.Sscan(v, &h.pages)
		case "vips-loader":
			h.loader = v
		}
	}
	if h.width <= 0 || h.height <= 0 || h.loader == "" {
		return header{}, errors.New("vipsheader gave no size or loader")
	}
	return h, nil
}

// detection is what the installed libvips can do.
type detection struct {
	version string
	formats []string
	loaders map[string]bool
}

// detections holds one detection per vips program: it takes a dozen program
// runs, and a process may build many engines (tests build many gateways).
var detections sync.Map // vips path → detection

func detectOnce(e *Engine) (detection, error) {
	if d, ok := detections.Load(e.vips); ok {
		return d.(detection), nil
	}
	d, err := detect(e)
	if err == nil {
		detections.Store(e.vips, d)
	}
	return d, err
}

// detect saves a tiny image in each candidate format and keeps those that
// read back with the expected loader.
func detect(e *Engine) (detection, error) {
	d := detection{loaders: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := e.cmd(ctx, "", e.vips, "--version").Output()
	if err != nil {
		return detection{}, fmt.Errorf("%w: vips --version: %v", ErrNotInstalled, err)
	}
	d.version = strings.TrimPrefix(strings.TrimSpace(string(out)), "vips-")
	dir, err := os.MkdirTemp("", "gateway-vips-probe-")
	if err != nil {
		return detection{}, err
	}
	defer os.RemoveAll(dir)
	for _, c := range candidates {
		p := filepath.Join(dir, "probe."+c.format)
		if e.cmd(ctx, "", e.vips, "black", p, "8", "8").Run() != nil {
			continue
		}
		if h, err := e.readHeader(ctx, "", p); err != nil || h.loader != c.loader {
			continue
		}
		d.formats = append(d.formats, c.format)
		d.loaders[c.loader] = true
	}
	return d, nil
}
