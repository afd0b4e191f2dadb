// Package engine owns the contract between the job runner and the programs
// that turn files into other files: the Engine interface, the Registry that
// picks an engine for an (operation, input format, output format) triple,
// format-name normalisation, typed task options, and the coded errors that
// end up in a task's "code" and "message" fields.
//
// Engines live in sub-packages named after what they wrap (imagego, and later
// libreoffice, chromium, ffmpeg, vips, qpdf). They must not know about HTTP,
// jobs or storage: they get files on local disk and write files on local disk.
package engine

import (
	"context"
	"io"
)

// File is a file on local disk inside a job's work directory.
type File struct {
	// Path is where the bytes are; it is never shown to users.
	Path string
	// Name is the user-facing file name, as it will appear in
	// result.files[].filename and in Content-Disposition.
	Name string
}

// Request is one task handed to an engine.
type Request struct {
	// Operation is the task's operation: "convert", "thumbnail",
	// "optimize", "merge", "archive", ...
	Operation string
	// InputFormat and OutputFormat are normalised format names (see
	// NormalizeFormat). OutputFormat is the same as InputFormat for
	// operations that keep the format, such as optimize.
	InputFormat, OutputFormat string
	Inputs                    []File
	Options                   Options
	// WorkDir is where the engine writes its outputs. It may also hold the
	// inputs, so engines create outputs with CreateOutput, which never
	// overwrites an existing file.
	WorkDir string
	// Progress receives 0..100; it may be nil. Use Report, which handles nil.
	Progress func(percent int)
}

// Report passes percent, clamped to 0..100, to r.Progress if one is set.
func (r Request) Report(percent int) {
	if r.Progress == nil {
		return
	}
	r.Progress(min(max(percent, 0), 100))
}

// Result lists the files an engine produced, in a stable order.
type Result struct {
	Files []File
}

// Engine converts files. Implementations must be safe for concurrent Run
// calls: the job runner limits concurrency, not the engine.
type Engine interface {
	// Name is the stable engine name reported as a task's "engine" and
	// matched against the task's "engine" option.
	Name() string
	// Version is reported as a task's "engine_version". Engines that wrap
	// an external program report that program's version.
	Version() string
	// Conversions lists what the engine can do. Engine and Version in the
	// returned values are ignored; the registry fills them in.
	Conversions() []Conversion
	// Run performs one task. Errors should be *Error so the task gets a
	// meaningful code; any other error is reported as CONVERSION_FAILED.
	// Run must return promptly once ctx is done.
	Run(ctx context.Context, req Request) (Result, error)
}

// Starter is implemented by engines that keep warm worker processes (an
// office suite or a browser that takes seconds to boot). Registry.Start calls
// it once before the first job so the first user does not pay for the boot.
type Starter interface {
	Start(ctx context.Context) error
}

// BuiltIn is implemented by engines that need no outside program (pure Go),
// so that every instance of the gateway has them. The registry leaves them
// out of Families, and a task one of them can do needs no family: any
// worker runs it.
type BuiltIn interface {
	BuiltIn()
}

// Engines holding processes or temporary files also implement io.Closer;
// Registry.Close calls it on shutdown.
var _ io.Closer = (*Registry)(nil)

// AnyFormat as a Conversion's Input matches every input format; the archive
// operation uses it, since it packs files without looking inside them.
const AnyFormat = "*"

// Conversion is one thing an engine can do. Its JSON shape follows the
// formats listing of the CloudConvert API.
type Conversion struct {
	Operation string `json:"operation"`
	Input     string `json:"input_format"`
	Output    string `json:"output_format"`
	Engine    string `json:"engine,omitempty"`
	Version   string `json:"engine_version,omitempty"`
}
