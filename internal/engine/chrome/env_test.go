package chrome

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

const envSecret = "sentinel-chromium-env-51c9"

// setSecrets puts secrets in the gateway's environment, as a deployment
// has them.
func setSecrets(t *testing.T) {
	t.Setenv("GATEWAY_ADMIN_TOKEN", envSecret)
	t.Setenv("GATEWAY_REDIS_URL", "redis://:"+envSecret+"@127.0.0.1:6379/0")
	t.Setenv("AWS_SECRET_ACCESS_KEY", envSecret)
}

// checkSecrets reports the variables of env that come from the gateway.
func checkSecrets(t *testing.T, what string, env []string) {
	t.Helper()
	for _, kv := range env {
		if strings.HasPrefix(kv, "GATEWAY_") || strings.HasPrefix(kv, "AWS_") || strings.Contains(kv, envSecret) {
			t.Errorf("%s has %q", what, kv)
		}
	}
}

// checkEnv checks that env is a whole clean environment: the engine's,
// with nothing from the gateway.
func checkEnv(t *testing.T, what string, env []string) {
	t.Helper()
	checkSecrets(t, what, env)
	if !slices.Contains(env, "PATH="+engine.ChildPath) {
		t.Errorf("%s lacks PATH=%s: %q", what, engine.ChildPath, env)
	}
}

// Chromium renders pages from strangers and may run without its sandbox: a
// renderer exploit must find none of the gateway's secrets in the
// environment of any of the browser's processes.
//
// /proc/PID/environ shows the memory that held a process's environment
// when it started. The browser's is its whole environment, which every
// other process inherits: the zygotes it starts, and the renderers, GPU and
// utility processes they fork. Those write their process title over that
// memory, so theirs is only checked for secrets.
func TestBrowserEnvironment(t *testing.T) {
	setSecrets(t)
	e := newEngine(t, Config{Tabs: 1})
	if _, err := convert(t, e, "<p>env</p><script>document.title = 'x'</script>", nil); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	s := e.cur
	e.mu.Unlock()
	helpers := 0
	for _, pid := range append([]int{s.pid}, descendants(s.pid)...) {
		p := strconv.Itoa(pid)
		b, err1 := os.ReadFile("/proc/" + p + "/environ")
		cmdline, err2 := os.ReadFile("/proc/" + p + "/cmdline")
		if err := errors.Join(err1, err2); err != nil {
			if pid == s.pid {
				t.Fatalf("the browser's environment: %v", err)
			}
			continue // a helper that just exited
		}
		args := strings.Split(string(cmdline), "\x00")
		what := fmt.Sprintf("the environment of process %d (%s)", pid, strings.Join(args[:min(len(args), 3)], " "))
		env := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if pid != s.pid {
			checkSecrets(t, what, env)
			helpers++
			continue
		}
		checkEnv(t, what, env)
		if !slices.Contains(env, "HOME="+s.dir) {
			t.Errorf("%s lacks HOME=%s: %q", what, s.dir, env)
		}
	}
	// Zygotes, renderers, services.
	if helpers < 3 {
		t.Errorf("checked the environment of %d of the browser's helper processes, want at least 3", helpers)
	}
}

// Without Chromium: a stand-in records the environment and arguments it
// was started with, which must be the clean environment and, unchanged,
// the browser's flags.
func TestBrowserStartsWithCleanEnvironment(t *testing.T) {
	setSecrets(t)
	dir := t.TempDir()
	envFile, argsFile := filepath.Join(dir, "env"), filepath.Join(dir, "args")
	fake := filepath.Join(dir, "chromium")
	script := "#!/bin/sh\n" +
		`if [ "$1" = --version ]; then echo "Chromium 120.0.6099.0"; exit 0; fi` + "\n" +
		"env > " + envFile + "\n" +
		`for a in "$@"; do echo "$a"; done > ` + argsFile + "\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{ChromiumPath: fake, Tabs: 1, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Start(ctx); err == nil {
		t.Error("Start succeeded with a browser that exits at once")
	}
	e.Close()
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatalf("the stand-in browser was not started: %v", err)
	}
	env := strings.Split(strings.TrimSpace(string(b)), "\n")
	checkEnv(t, "the browser's environment", env)
	var home string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	if !strings.HasPrefix(home, dir+"/") {
		t.Errorf("HOME %q is not a session directory in the work dir %s: %q", home, dir, env)
	}
	b, err = os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSpace(string(b)), "\n")
	if !slices.Contains(args, "--headless") || !slices.Contains(args, "--user-data-dir="+filepath.Join(home, "profile")) ||
		args[len(args)-1] != "about:blank" {
		t.Errorf("the browser's arguments: %q", args)
	}
}

// descendants lists the processes below pid, from their parent process
// IDs in /proc.
func descendants(pid int) []int {
	parent := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		p, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		for p, pp := range parent {
			if pp == q {
				out = append(out, p)
				queue = append(queue, p)
			}
		}
	}
	return out
}
