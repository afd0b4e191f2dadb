package testutil

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the kernel kill the server when the test binary dies (a
// test timeout, a panic, a kill), so that no server outlives its test run.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
