package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireToolsVar is the variable `make test` sets (to 1) after its set-up
// has installed every tool the tests use; CI=true means the same.
const RequireToolsVar = "GATEWAY_TEST_REQUIRE_TOOLS"

// ToolsRequired reports whether a missing tool fails a test rather than
// skipping it: under `make test` and in CI, where a skipped test would
// pass for a green run. A bare `go test ./pkg` may skip, saying why.
func ToolsRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv(RequireToolsVar) == "1"
}

// MissingTool ends t because what it needs is missing (a program, a
// server, an npm package): it fails t when ToolsRequired, and skips it
// otherwise, naming what is missing and install, the command that
// installs it, either way. Every test helper that looks for a tool ends
// with it, so the rule lives here only.
func MissingTool(t testing.TB, what, install string) {
	t.Helper()
	if ToolsRequired() {
		t.Fatalf("%s is missing; install it with `%s` (`make test` and CI=true fail without it)", what, install)
	}
	t.Skipf("%s is missing; install it with `%s` (`make test` and CI=true fail here)", what, install)
}

// debianPackages maps each program the tests run to the Debian package
// that installs it; every one is in .ci/apt-packages, which the set-up of
// `make test` installs (nodejs and npm it installs where no node is).
var debianPackages = map[string]string{
	"bash":         "bash",
	"chromium":     "chromium",
	"curl":         "curl",
	"ffmpeg":       "ffmpeg",
	"ffprobe":      "ffmpeg",
	"jq":           "jq",
	"node":         "nodejs",
	"openssl":      "openssl",
	"pdfimages":    "poppler-utils",
	"pdfinfo":      "poppler-utils",
	"pdftoppm":     "poppler-utils",
	"pdftotext":    "poppler-utils",
	"python3":      "python3",
	"qpdf":         "qpdf",
	"redis-cli":    "redis-server",
	"redis-server": "redis-server",
	"soffice":      "libreoffice-writer-nogui",
	"vips":         "libvips-tools",
}

// AptInstall is the command that installs the Debian packages pkgs.
func AptInstall(pkgs ...string) string {
	return "apt-get install -y " + strings.Join(pkgs, " ")
}

// NeedProgram returns the path of program on PATH, or ends t with
// MissingTool, naming the Debian package that installs it.
func NeedProgram(t testing.TB, program string) string {
	t.Helper()
	pkg, ok := debianPackages[program]
	if !ok {
		t.Fatalf("testutil knows no Debian package for %q: add it to debianPackages and .ci/apt-packages", program)
	}
	p, err := exec.LookPath(program)
	if err != nil {
		MissingTool(t, program, AptInstall(pkg))
	}
	return p
}

// NeedPrograms is NeedProgram for each of programs.
func NeedPrograms(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		NeedProgram(t, p)
	}
}

// NeedFile ends t with MissingTool unless path exists: for what a step
// such as `npm ci` puts in place.
func NeedFile(t testing.TB, path, what, install string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		MissingTool(t, what, install)
	}
}
