package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// childEnv is the whole environment of ffmpeg and ffprobe (see
// engine.ChildEnv).
var childEnv = engine.ChildEnv()

// exec runs a program in its own process group, which is killed (SIGKILL)
// when ctx is done or timeout passes, and returns its standard output. When
// progress is set, standard output is instead read as ffmpeg -progress
// lines and each out_time is passed on in microseconds.
//
// The error is TIMEOUT for the timeout, the context's error for ctx, and
// otherwise CONVERSION_FAILED with the end of the program's standard error
// as its private cause.
func (e *Engine) exec(ctx context.Context, path string, args []string, timeout time.Duration,
	progress func(outUS int64)) ([]byte, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, path, args...)
	cmd.Env = childEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		// The negative pid is the whole group, so helpers ffmpeg might
		// start die with it.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	var stderr tail
	if progress != nil {
		cmd.Stdout = &progressWriter{fn: progress}
	} else {
		cmd.Stdout = &limitedBuffer{buf: &stdout, max: 1 << 20}
	}
	cmd.Stderr = &stderr
	err := cmd.Run()
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case ctx.Err() != nil:
		return nil, engine.ContextError(ctx)
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		return nil, engine.Wrap(engine.CodeTimeout, err, fmt.Sprintf("the conversion took longer than %s", timeout))
	default:
		return nil, engine.Wrap(engine.CodeConversionFailed,
			fmt.Errorf("%s: %w: %s", path, err, strings.TrimSpace(stderr.String())), "ffmpeg failed to convert the file")
	}
}

// progressWriter parses "key=value" lines of ffmpeg's -progress output.
type progressWriter struct {
	fn   func(int64)
	line []byte
}

func (p *progressWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		if c != '\n' {
			if len(p.line) < 256 {
				p.line = append(p.line, c)
			}
			continue
		}
		// out_time_ms is in microseconds too, despite its name; out_time_us
		// is the honest spelling of newer versions.
		k, v, ok := strings.Cut(strings.TrimSpace(string(p.line)), "=")
		if ok && (k == "out_time_us" || k == "out_time_ms") {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				p.fn(n)
			}
		}
		p.line = p.line[:0]
	}
	return len(b), nil
}

// tail keeps the last 4 KiB written to it, for error causes.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// limitedBuffer drops what goes beyond max, so a program cannot fill memory.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(b []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}
