package browsertest

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/signedgate/gateway/internal/testutil"
)

// requireTools ends the test with testutil.MissingTool when Chromium,
// ffmpeg, node or the npm packages of interop are missing.
func requireTools(t *testing.T) (chromium string) {
	t.Helper()
	chromium = testutil.NeedProgram(t, "chromium")
	testutil.NeedPrograms(t, "ffmpeg", "node")
	for _, pkg := range []string{"playwright-core", filepath.Join("hls.js", "dist", "hls.min.js")} {
		testutil.NeedFile(t, filepath.Join("interop", "node_modules", pkg),
			"interop/node_modules/"+filepath.ToSlash(pkg), "npm ci --prefix internal/proxy/browsertest/interop")
	}
	return chromium
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
