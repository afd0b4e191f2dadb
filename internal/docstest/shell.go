package docstest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// driver is the bash that runs a page's blocks one after another, as a
// reader types them into one terminal: variables, exports, functions and
// the working directory carry over from block to block. Each block is a
// file, named on fd 3 and sourced with errexit, nounset and pipefail, its
// output kept beside it; "ok" on fd 4 says it ended well. A command that
// fails ends the shell, and so the page: later blocks build on earlier
// ones. The blocks' own commands get neither fd 3 nor fd 4, nor a terminal
// to read from.
const driver = `set -euo pipefail
exec </dev/null
while IFS= read -r __docstest_block <&3; do
  source "$__docstest_block" >"$__docstest_block.out" 2>"$__docstest_block.err" 3<&- 4>&-
  printf 'ok\n' >&4
done
`

// Shell is one page's bash.
type Shell struct {
	cmd  *exec.Cmd
	dir  string   // where the block files go
	ctl  *os.File // names blocks to run (the shell's fd 3)
	acks chan struct{}
	done chan struct{} // closed when the shell has exited
	err  error         // how it exited, once done is closed
	n    int
}

// StartShell starts bash in dir with env; block files are kept in
// blockDir. Background processes a block starts share the shell's process
// group and end with it (Close).
func StartShell(dir, blockDir string, env []string) (*Shell, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	ackR, ackW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, err
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-c", driver)
	cmd.Dir, cmd.Env = dir, env
	cmd.ExtraFiles = []*os.File{ctlR, ackW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{ctlR, ctlW, ackR, ackW} {
			f.Close()
		}
		return nil, err
	}
	ctlR.Close()
	ackW.Close()
	s := &Shell{cmd: cmd, dir: blockDir, ctl: ctlW, acks: make(chan struct{}), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(ackR)
		for sc.Scan() {
			s.acks <- struct{}{}
		}
		ackR.Close()
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// Result is what a block printed.
type Result struct {
	Stdout, Stderr string
	Took           time.Duration
}

// ErrShellGone is returned for blocks sent after the shell ended.
var ErrShellGone = errors.New("the shell has already exited")

// Run runs code in the shell and waits for it to end, at most timeout.
// An error says the block failed: a command exited non-zero (which ends
// the shell), or the block ran past timeout (which kills it). The output
// is returned either way.
func (s *Shell) Run(code string, timeout time.Duration) (Result, error) {
	select {
	case <-s.done:
		return Result{}, ErrShellGone
	default:
	}
	s.n++
	path := filepath.Join(s.dir, fmt.Sprintf("block-%03d.sh", s.n))
	if err := os.WriteFile(path, []byte(code), 0o600); err != nil {
		return Result{}, err
	}
	began := time.Now()
	if _, err := fmt.Fprintln(s.ctl, path); err != nil {
		<-s.done
		return s.result(path, began), fmt.Errorf("the shell has exited: %v", s.err)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case <-s.acks:
	case <-s.done:
		err = fmt.Errorf("a command failed (%v)", exitStatus(s.err))
	case <-timer.C:
		s.Close()
		err = fmt.Errorf("still running after %v: killed", timeout)
	}
	return s.result(path, began), err
}

func (s *Shell) result(path string, began time.Time) Result {
	out, _ := os.ReadFile(path + ".out")
	errOut, _ := os.ReadFile(path + ".err")
	return Result{Stdout: string(out), Stderr: string(errOut), Took: time.Since(began)}
}

func exitStatus(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	return fmt.Sprint(err)
}

// Close ends the shell and everything its blocks left running in its
// process group (a file server started with &, say).
func (s *Shell) Close() {
	s.ctl.Close()
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// Env returns base without the variables named in drop (whole names, or
// prefixes ending in "_"), then with set added.
func Env(base []string, drop []string, set map[string]string) []string {
	var out []string
next:
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := set[name]; ok {
			continue
		}
		for _, d := range drop {
			if name == d || (strings.HasSuffix(d, "_") && strings.HasPrefix(name, d)) {
				continue next
			}
		}
		out = append(out, kv)
	}
	for k, v := range set {
		out = append(out, k+"="+v)
	}
	return out
}
