package chrome

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/config"
)

func TestNoSandbox(t *testing.T) {
	for _, tc := range []struct {
		noSandbox bool
		euid      int
		want      bool
	}{
		{false, 10001, false}, // the default: the sandbox stays on
		{true, 10001, true},   // GATEWAY_ENGINES_CHROME_SANDBOX=false (the Docker image)
		{false, 0, true},      // root: Chromium refuses its sandbox
		{true, 0, true},
	} {
		if got := noSandbox(Config{NoSandbox: tc.noSandbox}, tc.euid); got != tc.want {
			t.Errorf("noSandbox(NoSandbox=%v, euid=%d) = %v, want %v", tc.noSandbox, tc.euid, got, tc.want)
		}
	}
}

func TestFromConfigSandbox(t *testing.T) {
	if FromConfig(config.ChromeEngine{Sandbox: true}, nil).NoSandbox {
		t.Error("GATEWAY_ENGINES_CHROME_SANDBOX=true turned the sandbox off")
	}
	if !FromConfig(config.ChromeEngine{Sandbox: false}, nil).NoSandbox {
		t.Error("GATEWAY_ENGINES_CHROME_SANDBOX=false left the sandbox on")
	}
}

// The browser's command line carries --no-sandbox exactly when told to
// or as root (so as root only half of this test can fail). A stand-in for Chromium records its arguments and exits, so no
// browser is needed.
func TestSandboxFlagReachesBrowser(t *testing.T) {
	for _, off := range []bool{false, true} {
		dir := t.TempDir()
		argsFile := filepath.Join(dir, "args")
		fake := filepath.Join(dir, "chromium")
		script := "#!/bin/sh\n" +
			`if [ "$1" = --version ]; then echo "Chromium 120.0.6099.0"; exit 0; fi` + "\n" +
			`for a in "$@"; do echo "$a"; done > ` + argsFile + "\nexit 1\n"
		if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		e, err := New(Config{ChromiumPath: fake, Tabs: 1, WorkDir: dir, NoSandbox: off})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := e.Start(ctx); err == nil {
			t.Error("Start succeeded with a browser that exits at once")
		}
		cancel()
		e.Close()
		b, err := os.ReadFile(argsFile)
		if err != nil {
			t.Fatalf("the stand-in browser was not started: %v", err)
		}
		got := strings.Contains("\n"+string(b), "\n--no-sandbox\n")
		// As root Chromium always runs without its sandbox.
		if want := off || os.Geteuid() == 0; got != want {
			t.Errorf("NoSandbox=%v, euid %d: --no-sandbox on the command line = %v, want %v\n%s", off, os.Geteuid(), got, want, b)
		}
	}
}
