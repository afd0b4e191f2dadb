package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// strace follows the gateway's threads and records its sendfile calls.
type strace struct {
	cmd *exec.Cmd
	out string
}

func startStrace(pid int, out string) (*strace, error) {
	if _, err := exec.LookPath("strace"); err != nil {
		return nil, fmt.Errorf("-strace needs strace: apt-get install -y strace")
	}
	cmd := exec.Command("strace", "-f", "-qq", "-e", "trace=sendfile", "-o", out, "-p", strconv.Itoa(pid))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// strace attaches asynchronously and has no readiness signal; give it
	// a moment so the first calls are not missed.
	time.Sleep(500 * time.Millisecond)
	return &strace{cmd: cmd, out: out}, nil
}

// Calls interrupted by another thread show up as an "<unfinished ...>"
// line and a "<... sendfile resumed> ... = N" line; only the latter counts.
var sendfileResult = regexp.MustCompile(`sendfile.*\)\s*=\s*(\d+)$`)

// stop detaches and returns the number of sendfile calls and the bytes
// they moved.
func (s *strace) stop() (calls int, total int64, err error) {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	_ = s.cmd.Wait()
	f, err := os.Open(s.out)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := sendfileResult.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			calls++
			total += n
		}
	}
	return calls, total, sc.Err()
}
