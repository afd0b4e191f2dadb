package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"
)

// ErrExited is a test server that exited before it answered: often its
// port, free when chosen, was taken before it bound it, and another port
// will do.
var ErrExited = errors.New("exited")

// Process is a server program a test runs (versitygw, Pebble): its output
// kept for the test log, started, waited for until it answers, and killed,
// by the kernel too if the test binary dies first.
type Process struct {
	// Name names the program in errors.
	Name string

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	log    logBuffer
}

// Start starts cmd (its output goes to Log) and calls ready every 20 ms
// until it returns nil. It fails with ErrExited if the program exits
// first, and stops it if it has not answered within the limit.
func (p *Process) Start(cmd *exec.Cmd, within time.Duration, ready func() error) error {
	cmd.Stdout, cmd.Stderr = &p.log, &p.log
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(within)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			p.cmd = nil
			return fmt.Errorf("%s %w: %v\n%s", p.Name, ErrExited, cmd.ProcessState, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return fmt.Errorf("%s does not answer: %v\n%s", p.Name, err, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the program and waits for it to be gone.
func (p *Process) Stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

// Log is what the program printed so far (the last MiB of it).
func (p *Process) Log() string { return p.log.String() }

// logBuffer collects the program's output, written by os/exec's goroutines
// while a test may read it. It keeps the last maxLog bytes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	cut bool
}

const maxLog = 1 << 20

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.buf.Len() > maxLog {
		b.buf.Next(b.buf.Len() - maxLog/2)
		b.cut = true
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut {
		return "[earlier output cut]\n" + b.buf.String()
	}
	return b.buf.String()
}
