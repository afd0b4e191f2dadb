package office

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/enginepool"
)

// Run converts each input of a convert task to one output file. Progress is
// reported at 0, when a process took the job, when the document is loaded
// (50) and at 100.
func (e *Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	req.Report(0)
	if req.Operation != "convert" {
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s cannot %s documents", Name, req.Operation)
	}
	if len(req.Inputs) == 0 {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "the task has no input file")
	}
	out := engine.NormalizeFormat(req.OutputFormat)
	in := engine.NormalizeFormat(req.InputFormat)
	if in == "" {
		in = engine.FormatOf(req.Inputs[0].Name)
	}
	if !supported(in, out) {
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s cannot convert %s to %s", Name, orUnknown(in), orUnknown(out))
	}
	jo, err := parseOptions(in, out, req.Options)
	if err != nil {
		return engine.Result{}, err
	}
	timeout := e.cfg.Timeout
	if jo.timeout > 0 && jo.timeout < timeout {
		timeout = jo.timeout
	}
	if err := e.Start(ctx); err != nil {
		return engine.Result{}, engine.Wrap(engine.CodeConversionFailed, err, "the office engine could not be started")
	}

	var res engine.Result
	n := len(req.Inputs)
	for i, input := range req.Inputs {
		stage := func(pct int) { req.Report((i*100 + pct) / n) }
		f, err := e.convertOne(ctx, req, input, out, jo.req, timeout, stage)
		if err != nil {
			for _, done := range res.Files {
				os.Remove(done.Path)
			}
			return engine.Result{}, err
		}
		res.Files = append(res.Files, f)
	}
	req.Report(100)
	return res, nil
}

func (e *Engine) convertOne(ctx context.Context, req engine.Request, input engine.File, out string,
	creq request, timeout time.Duration, stage func(int)) (engine.File, error) {
	name, err := engine.OutputName(input, req.Options, out)
	if err != nil {
		return engine.File{}, err
	}
	// CreateOutput reserves a free name; soffice then overwrites the empty
	// file it made.
	f, file, err := engine.CreateOutput(req.WorkDir, name)
	if err != nil {
		return engine.File{}, err
	}
	f.Close()
	creq.Op, creq.In, creq.Out = "convert", input.Path, file.Path

	err = e.pool.Do(ctx, func(ctx context.Context, w *worker) error {
		stage(10)
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := w.call(ctx, creq, func(int) { stage(50) })
		return err
	})
	if err != nil {
		os.Remove(file.Path)
		return engine.File{}, e.jobError(ctx, err, timeout)
	}
	if st, serr := os.Stat(file.Path); serr != nil || st.Size() == 0 {
		os.Remove(file.Path)
		return engine.File{}, engine.Errorf(engine.CodeConversionFailed, "LibreOffice produced no output")
	}
	stage(100)
	return file, nil
}

// jobError turns a pool or helper failure into an engine error whose public
// message says what went wrong without paths or program output.
func (e *Engine) jobError(ctx context.Context, err error, timeout time.Duration) error {
	var he *helperError
	switch {
	case errors.As(err, &he) && he.kind == "input":
		return engine.Wrap(engine.CodeInvalidInput, err, he.msg)
	case ctx.Err() != nil:
		return engine.ContextError(ctx)
	case errors.Is(err, context.DeadlineExceeded):
		return engine.Wrap(engine.CodeTimeout, err, fmt.Sprintf("the conversion took longer than %s", timeout))
	case errors.Is(err, enginepool.ErrWorkerLost):
		return engine.Wrap(engine.CodeConversionFailed, err, "LibreOffice crashed while converting the document")
	case errors.Is(err, enginepool.ErrClosed):
		return engine.Wrap(engine.CodeConversionFailed, err, "the office engine is shutting down")
	default:
		return engine.Wrap(engine.CodeConversionFailed, err, "the conversion failed")
	}
}

func orUnknown(format string) string {
	if strings.TrimSpace(format) == "" {
		return "an unknown format"
	}
	return format
}
