package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// commandLines is every command line that names a command: each
// subcommand, and each dialect of gateway sign, the ones added later
// included.
func commandLines() [][]string {
	lines := [][]string{{}, {"serve"}, {"worker"}, {"healthcheck"}, {"version"}, {"help"}, {"sign"}}
	names := make([]string, 0, len(signers))
	for n := range signers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		lines = append(lines, []string{"sign", n})
	}
	return lines
}

// sandbox is what a command could touch if it did more than asked: a
// gateway address that counts the requests it gets (a healthcheck would
// ask it), and a data directory that does not exist yet (a gateway that
// started would make it).
type sandbox struct {
	hits    atomic.Int64
	addr    string
	dataDir string
}

func newSandbox(t *testing.T) *sandbox {
	s := &sandbox{dataDir: filepath.Join(t.TempDir(), "data")}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.hits.Add(1) }))
	t.Cleanup(srv.Close)
	s.addr = srv.Listener.Addr().String()
	return s
}

// run runs the binary with args in the sandbox and returns its exit code
// and output.
func (s *sandbox) run(t *testing.T, bin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	// A valid configuration: a command that loaded it would go on.
	cmd.Env = cleanEnv("GATEWAY_ADDR="+s.addr, "GATEWAY_DATA_DIR="+s.dataDir, "GATEWAY_LOG_FORMAT=text")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gateway %s did not exit: it is running instead", strings.Join(args, " "))
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// checkUntouched fails the test when a command did something: dialled
// the gateway or started one.
func (s *sandbox) checkUntouched(t *testing.T, what string) {
	t.Helper()
	if n := s.hits.Load(); n > 0 {
		t.Errorf("%s asked the gateway address %d times", what, n)
	}
	if _, err := os.Stat(s.dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s made the data directory (%v): it started something", what, err)
	}
}

func TestEveryCommandAnswersHelp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	type helpCase struct {
		args  []string
		usage string // how stdout must begin
	}
	var cases []helpCase
	for _, line := range commandLines() {
		usage := strings.TrimSpace("usage: gateway " + strings.Join(line, " "))
		cases = append(cases,
			helpCase{append(slices.Clone(line), "--help"), usage},
			helpCase{append(slices.Clone(line), "-h"), usage})
		if len(line) > 0 {
			cases = append(cases, helpCase{append([]string{"help"}, line...), usage})
		}
	}
	for _, tc := range cases {
		args := tc.args
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			s := newSandbox(t)
			code, stdout, stderr := s.run(t, bin, args...)
			if code != 0 || !strings.HasPrefix(stdout, tc.usage) || stderr != "" {
				t.Errorf("gateway %s: exit %d, stdout %q, stderr %q; want exit 0 and %q... on stdout only",
					strings.Join(args, " "), code, stdout, stderr, tc.usage)
			}
			s.checkUntouched(t, "gateway "+strings.Join(args, " "))
		})
	}
}

func TestBadFlagsAndArgumentsExit2(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	type badCase struct {
		args         []string
		names, usage string // what stderr must say
	}
	var cases []badCase
	for _, line := range commandLines() {
		cmdName := strings.TrimSpace("gateway " + strings.Join(line, " "))
		cases = append(cases, badCase{append(slices.Clone(line), "--no-such-flag"), "-no-such-flag", "usage: " + cmdName})
	}
	cases = append(cases,
		badCase{[]string{"serve", "extra"}, `"extra"`, "usage: gateway serve"},
		badCase{[]string{"worker", "extra"}, `"extra"`, "usage: gateway worker"},
		badCase{[]string{"healthcheck", "extra"}, `"extra"`, "usage: gateway healthcheck"},
		badCase{[]string{"version", "extra"}, `"extra"`, "usage: gateway version"},
		badCase{[]string{"version", "--json=maybe"}, "-json", "usage: gateway version"},
		badCase{[]string{"sign", "jwt", "extra"}, `"extra"`, "usage: gateway sign jwt"},
		badCase{[]string{"sign", "jwt", "--key", "k.pem"}, "--kid", "usage: gateway sign jwt"},
		badCase{[]string{"sign", "jwt", "--key", "k.pem", "--kid", "k", "--ttl", "soon"}, "-ttl", "usage: gateway sign jwt"},
		badCase{[]string{"sign", "upload", "--secret", "s", "oops"}, `"oops"`, "usage: gateway sign upload"},
		badCase{[]string{"sign", "cloudconvert", "--base", "http://x/b", "--secret", "s"}, "--job", "usage: gateway sign cloudconvert"},
		badCase{[]string{"sign"}, "dialect", "usage: gateway sign"},
		badCase{[]string{"sign", "nope"}, `"nope"`, "usage: gateway sign"},
		badCase{[]string{"help", "nope"}, `"nope"`, "usage: gateway help"},
		badCase{[]string{"frobnicate"}, `"frobnicate"`, "usage: gateway"},
	)
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			s := newSandbox(t)
			code, stdout, stderr := s.run(t, bin, tc.args...)
			if code != 2 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit 2 and nothing on stdout", code, stdout)
			}
			problem, _, _ := strings.Cut(stderr, "\n")
			if !strings.Contains(problem, tc.names) {
				t.Errorf("stderr does not begin with a line naming %s:\n%s", tc.names, stderr)
			}
			if !strings.Contains(stderr, tc.usage) {
				t.Errorf("stderr does not show the usage %q...:\n%s", tc.usage, stderr)
			}
			s.checkUntouched(t, "gateway "+strings.Join(tc.args, " "))
		})
	}
}
