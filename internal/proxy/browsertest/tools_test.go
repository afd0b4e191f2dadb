package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// tools are the programs the tests need, with the Debian package or step
// that installs each.
var tools = []struct{ name, install string }{
	{"chromium", "apt-get install -y chromium"},
	{"ffmpeg", "apt-get install -y ffmpeg"},
	{"node", "apt-get install -y nodejs"},
}

// requireTools skips the test when a tool is missing, or fails it in CI,
// where the tests must run.
func requireTools(t *testing.T) (chromium string) {
	t.Helper()
	missing := func(what, install string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install it: %s", what, install)
		}
		t.Skipf("%s is missing (%s)", what, install)
	}
	paths := map[string]string{}
	for _, tool := range tools {
		p, err := exec.LookPath(tool.name)
		if err != nil {
			missing(tool.name, tool.install)
		}
		paths[tool.name] = p
	}
	for _, pkg := range []string{"playwright-core", filepath.Join("hls.js", "dist", "hls.min.js")} {
		if _, err := os.Stat(filepath.Join("interop", "node_modules", pkg)); err != nil {
			missing("interop/node_modules/"+filepath.ToSlash(pkg), "npm ci --prefix internal/proxy/browsertest/interop")
		}
	}
	return paths["chromium"]
}

// ffmpeg runs ffmpeg quietly in dir.
func ffmpeg(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}
