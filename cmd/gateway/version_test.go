package main

import (
	"debug/buildinfo"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	const rev = "24eff4b1a2c3d4e5f60718293a4b5c6d7e8f9012"
	info := func(mainVersion string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/signedgate/gateway", Version: mainVersion}}
		settings = append(settings, "GOOS", "linux", "GOARCH", "amd64")
		for i := 0; i < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	vcs := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-06T16:03:00Z", "vcs.modified", "false"}
	dirty := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-06T16:03:00Z", "vcs.modified", "true"}
	tests := []struct {
		name      string
		ldVersion string
		bi        *debug.BuildInfo
		want      string
	}{
		{"release build", "v1.2.3", info("(devel)", vcs...),
			"gateway v1.2.3 (rev 24eff4b1a2c3, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)"},
		{"uncommitted changes", "v1.2.3", info("(devel)", dirty...),
			"gateway v1.2.3 (rev 24eff4b1a2c3+dirty, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)"},
		{"-ldflags wins over the module version", "v1.2.3", info("v1.2.2", vcs...),
			"gateway v1.2.3 (rev 24eff4b1a2c3, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)"},
		{"tagged module (go install ...@v1.4.0)", "dev", info("v1.4.0"),
			"gateway v1.4.0 (go1.26.0 linux/amd64)"},
		{"pseudo-version stamped by go build", "dev", info("v0.0.0-20261206160300-24eff4b1a2c3+dirty", dirty...),
			"gateway v0.0.0-20261206160300-24eff4b1a2c3+dirty (rev 24eff4b1a2c3+dirty, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)"},
		{"revision without a version", "dev", info("(devel)", vcs...),
			"gateway devel (rev 24eff4b1a2c3, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)"},
		{"an empty -X main.version counts as none", "", info("(devel)", vcs...),
			"gateway devel (rev 24eff4b1a2c3, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)"},
		{"nothing known", "dev", info("(devel)"),
			"gateway dev (go1.26.0 linux/amd64)"},
		{"no build information", "dev", nil,
			"gateway dev (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := readBuild(tc.ldVersion, tc.bi).String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// The binary reports what the Go toolchain recorded in it, and the
// version -ldflags gives it, as the Dockerfile builds it.
func TestVersionOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "gateway")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=v1.2.3", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	recorded, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	want := readBuild("v1.2.3", recorded)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(out))
	if line != want.String() || !strings.HasPrefix(line, "gateway v1.2.3 (") {
		t.Errorf("got %q, want %q", line, want.String())
	}
	// Where the toolchain stamped the revision (a git clone; not a build
	// with -buildvcs=false), it is on the line.
	if want.Revision != "" && !strings.Contains(line, "rev "+want.Revision[:12]) {
		t.Errorf("%q does not name the revision %s", line, want.Revision)
	}

	out, err = exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var got build
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out)
	}
	if got != want {
		t.Errorf("version --json: got %+v, want %+v", got, want)
	}
}
