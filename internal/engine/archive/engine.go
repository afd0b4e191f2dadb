package archive

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"slices"

	"github.com/signedgate/gateway/internal/engine"
)

// Engine runs the archive operation through the engine registry, so the job
// runner treats it like any conversion.
type Engine struct{}

var (
	_ engine.Engine  = Engine{}
	_ engine.BuiltIn = Engine{}
)

// BuiltIn marks the engine as pure Go: every instance has it.
func (Engine) BuiltIn() {}

func (Engine) Name() string { return "archive" }

// Version is the Go version, whose archive and compress packages write the
// bytes.
func (Engine) Version() string { return runtime.Version() }

// Conversions accept any input format, since files are packed unread.
func (Engine) Conversions() []engine.Conversion {
	cs := make([]engine.Conversion, 0, len(Formats))
	for _, f := range Formats {
		cs = append(cs, engine.Conversion{Operation: "archive", Input: engine.AnyFormat, Output: f})
	}
	return cs
}

// Run writes one archive of all inputs, named by the task's filename option
// or "archive.<format>".
func (Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	format := engine.NormalizeFormat(req.OutputFormat)
	if req.Operation != "archive" || !slices.Contains(Formats, format) {
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion,
			"cannot %s to %s; archive formats are zip, tar and tar.gz", req.Operation, req.OutputFormat)
	}
	name, err := req.Options.String("filename")
	if err != nil {
		return engine.Result{}, err
	}
	name = engine.SanitizeName(name, "archive."+format)
	f, out, err := engine.CreateOutput(req.WorkDir, name)
	if err != nil {
		return engine.Result{}, err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	n := len(req.Inputs)
	err = write(ctx, format, req.Inputs, bw, func(done int) { req.Report(done * 100 / n) })
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Path)
		return engine.Result{}, engine.AsError(err)
	}
	req.Report(100)
	return engine.Result{Files: []engine.File{out}}, nil
}
