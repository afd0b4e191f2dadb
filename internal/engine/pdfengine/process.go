package pdfengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// childEnv is the whole environment of the programs (see engine.ChildEnv).
var childEnv = engine.ChildEnv()

// runResult is a finished program run. A non-zero exit is not an error here:
// the callers know what each program's codes mean.
type runResult struct {
	stdout, stderr string
	exit           int
}

// run runs a program in its own process group, killed when ctx is done or
// the timeout passes; it returns TIMEOUT or the context's error then, and
// CONVERSION_FAILED when the program could not be run at all.
func (e *Engine) run(ctx context.Context, path string, args ...string) (runResult, error) {
	tctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, path, args...)
	cmd.Env = childEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &capped{&stdout}, &capped{&stderr}
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: strings.TrimSpace(stderr.String())}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, engine.ContextError(ctx)
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		return res, engine.Wrap(engine.CodeTimeout, err, fmt.Sprintf("the PDF took longer than %s to process", e.cfg.Timeout))
	case errors.As(err, &ee):
		res.exit = ee.ExitCode()
		return res, nil
	case err != nil:
		return res, engine.Wrap(engine.CodeConversionFailed, err, "could not run "+path)
	}
	return res, nil
}

// failed is the error for a program that exited with an unexpected code.
func failed(path string, r runResult, public string) error {
	return engine.Wrap(engine.CodeConversionFailed, fmt.Errorf("%s exited with %d: %s", path, r.exit, r.stderr), public)
}

// capped keeps the first 1 MiB written to it.
type capped struct{ b *bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 1<<20 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
