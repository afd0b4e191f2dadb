// Package pdfengine is the PDF engine: it merges PDFs with qpdf, and renders
// PDF pages to png or jpg (convert) and the first page to a thumbnail with
// poppler's pdftoppm. It owns the checks that refuse encrypted, broken and
// oversized PDFs before they reach a renderer, and the mapping of the
// pages, dpi, width, height and fit options to pdftoppm arguments.
package pdfengine

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// Name is the engine's name, reported as a task's "engine".
const Name = "pdf"

// Package names the Debian packages that provide qpdf, pdfinfo and pdftoppm,
// as the registry shows it in "not installed" messages.
const Package = "qpdf poppler-utils"

// Defaults of Config.
const (
	DefaultMaxPixels      = 40_000_000
	DefaultMaxRenderPages = 50
	DefaultMaxPages       = 5000
	DefaultTimeout        = 2 * time.Minute
)

// Config configures the engine; zero values mean the defaults.
type Config struct {
	// QPDFPath, PDFInfoPath and PDFToPPMPath are the programs, paths or
	// names looked up in PATH.
	QPDFPath, PDFInfoPath, PDFToPPMPath string
	// MaxPixels bounds the size of one rendered page (TOO_LARGE).
	MaxPixels int
	// MaxRenderPages bounds the pages one convert task renders.
	MaxRenderPages int
	// MaxPages bounds the pages of one input, and of a merge's output.
	MaxPages int
	// Timeout is the longest one program run may take.
	Timeout time.Duration
}

// Engine implements engine.Engine; it keeps no state between tasks.
type Engine struct {
	cfg                     Config
	qpdf, pdfinfo, pdftoppm string
	version                 string
}

var _ engine.Engine = (*Engine)(nil)

// ErrNotInstalled is wrapped by New's error when a program is missing;
// register the engine as unavailable then.
var ErrNotInstalled = errors.New("qpdf or poppler-utils is not installed")

// New finds the programs and returns the engine.
func New(cfg Config) (*Engine, error) {
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.MaxRenderPages <= 0 {
		cfg.MaxRenderPages = DefaultMaxRenderPages
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	e := &Engine{cfg: cfg}
	for _, p := range []struct {
		dst        *string
		name, def  string
		debPackage string
	}{
		{&e.qpdf, cfg.QPDFPath, "qpdf", "qpdf"},
		{&e.pdfinfo, cfg.PDFInfoPath, "pdfinfo", "poppler-utils"},
		{&e.pdftoppm, cfg.PDFToPPMPath, "pdftoppm", "poppler-utils"},
	} {
		name := p.name
		if name == "" {
			name = p.def
		}
		path, err := exec.LookPath(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %v (Debian package %s)", ErrNotInstalled, err, p.debPackage)
		}
		*p.dst = path
	}
	e.version = "qpdf " + engine.ProgramVersion(engine.VersionWord, e.qpdf) + ", poppler " + engine.ProgramVersion(engine.VersionWord, e.pdftoppm, "-v")
	return e, nil
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return Name }

// Version is qpdf's and poppler's versions, such as
// "qpdf 11.3.0, poppler 22.12.0".
func (e *Engine) Version() string { return e.version }

// Conversions implements engine.Engine; see the package-level Conversions.
func (e *Engine) Conversions() []engine.Conversion { return Conversions() }

// Conversions lists what the engine does: merge to pdf, convert pdf to png
// and jpg, thumbnail of pdf to png and jpg.
func Conversions() []engine.Conversion {
	return []engine.Conversion{
		{Operation: "merge", Input: "pdf", Output: "pdf"},
		{Operation: "convert", Input: "pdf", Output: "png"},
		{Operation: "convert", Input: "pdf", Output: "jpg"},
		{Operation: "thumbnail", Input: "pdf", Output: "png"},
		{Operation: "thumbnail", Input: "pdf", Output: "jpg"},
	}
}
