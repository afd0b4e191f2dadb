package docstest

import (
	"os"
	"strings"
	"testing"
	"time"
)

func startTestShell(t *testing.T) *Shell {
	t.Helper()
	dir := t.TempDir()
	sh, err := StartShell(dir, t.TempDir(), Env(os.Environ(), []string{"DOCSTEST_"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sh.Close)
	return sh
}

// Blocks run as a reader types them into one terminal: what one block sets
// and where it goes, the next one has.
func TestShellCarriesStateFromBlockToBlock(t *testing.T) {
	sh := startTestShell(t)
	steps := []struct{ code, out string }{
		{"X=one\nexport Y=two\nf() { echo \"f:$1\"; }\nmkdir sub && cd sub\n", ""},
		{"echo \"$X $Y\"; f three; basename \"$PWD\"\n", "one two\nf:three\nsub\n"},
		{"echo to-stderr >&2; echo to-stdout\n", "to-stdout\n"},
	}
	for _, s := range steps {
		res, err := sh.Run(s.code, 10*time.Second)
		if err != nil {
			t.Fatalf("%q: %v (%+v)", s.code, err, res)
		}
		if res.Stdout != s.out {
			t.Errorf("%q printed %q, want %q", s.code, res.Stdout, s.out)
		}
	}
}

// A failing command fails its block and ends the shell: set -e, -u and
// pipefail hold in every block.
func TestShellFailsABlockWhoseCommandFails(t *testing.T) {
	for _, code := range []string{
		"echo before; false; echo after\n",
		"echo \"$UNSET_VARIABLE\"\n",
		"false | true\n",
		"exit 0\n", // a block that leaves the shell did not end well either
		"curl --version >/dev/null; ls /no/such/directory\n",
	} {
		sh := startTestShell(t)
		res, err := sh.Run(code, 10*time.Second)
		if err == nil {
			t.Errorf("%q: no error (%+v)", code, res)
			continue
		}
		if _, err := sh.Run("true\n", 10*time.Second); err != ErrShellGone {
			t.Errorf("%q: the next block got %v, want ErrShellGone", code, err)
		}
	}
	sh := startTestShell(t)
	res, _ := sh.Run("echo before; echo oops >&2; false\n", 10*time.Second)
	if res.Stdout != "before\n" || res.Stderr != "oops\n" {
		t.Errorf("the output of a failed block is kept: %+v", res)
	}
}

func TestShellKillsABlockPastItsTimeout(t *testing.T) {
	sh := startTestShell(t)
	began := time.Now()
	_, err := sh.Run("sleep 30\n", 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("got %v, want a timeout", err)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("the timeout took %v", d)
	}
}

// Commands cannot read the driver's instructions: stdin is empty and the
// control descriptors are closed for them.
func TestShellGivesBlocksNothingToRead(t *testing.T) {
	sh := startTestShell(t)
	res, err := sh.Run("cat; { echo x >&4; } 2>/dev/null || echo no-fd-4\n", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "no-fd-4\n" {
		t.Errorf("printed %q", res.Stdout)
	}
}

func TestEnv(t *testing.T) {
	got := Env([]string{"A=1", "GATEWAY_X=2", "GW=3", "GWX=4", "PATH=/bin"},
		[]string{"GATEWAY_", "GW"}, map[string]string{"PATH": "/x"})
	want := "A=1 GWX=4 PATH=/x"
	if strings.Join(got, " ") != want {
		t.Errorf("Env = %q, want %q", got, want)
	}
}
