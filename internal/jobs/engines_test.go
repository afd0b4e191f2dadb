package jobs

import (
	"context"

	"github.com/signedgate/gateway/internal/engine"
)

// blockEngine converts "blk" to "out" only when released, or fails when
// its context ends; started tells the test it is running.
type blockEngine struct {
	started chan string
	release chan struct{}
}

func newBlockEngine() *blockEngine {
	return &blockEngine{started: make(chan string, 16), release: make(chan struct{})}
}

func (e *blockEngine) Name() string    { return "block" }
func (e *blockEngine) Version() string { return "1" }
func (e *blockEngine) Conversions() []engine.Conversion {
	return []engine.Conversion{{Operation: "convert", Input: "blk", Output: "out"}}
}

func (e *blockEngine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	e.started <- req.Inputs[0].Name
	select {
	case <-e.release:
	case <-ctx.Done():
		return engine.Result{}, engine.ContextError(ctx)
	}
	f, file, err := engine.CreateOutput(req.WorkDir, "done.out")
	if err != nil {
		return engine.Result{}, err
	}
	f.Close()
	return engine.Result{Files: []engine.File{file}}, nil
}

// blockJob is a job whose convert task runs blockEngine.
const blockJob = `{"tasks":{
	"in":{"operation":"import/raw","file":"x","filename":"a.blk"},
	"c":{"operation":"convert","input":"in","output_format":"out"},
	"out":{"operation":"export/url","input":"c"}}}`

// panicEngine panics on every run, as a buggy engine might.
type panicEngine struct{}

func (panicEngine) Name() string    { return "panic" }
func (panicEngine) Version() string { return "0" }
func (panicEngine) Conversions() []engine.Conversion {
	return []engine.Conversion{{Operation: "convert", Input: "blk", Output: "boom"}}
}
func (panicEngine) Run(context.Context, engine.Request) (engine.Result, error) {
	panic("engine bug at /secret/path")
}
