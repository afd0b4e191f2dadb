package testutil

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// endTB records how a helper ended the test: Fatalf or Skipf, each of
// which ends its goroutine, as testing.T does.
type endTB struct {
	testing.TB
	fatal, skip string
}

func (e *endTB) Helper() {}
func (e *endTB) Fatalf(format string, args ...any) {
	e.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (e *endTB) Skipf(format string, args ...any) {
	e.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func ending(fn func(tb testing.TB)) *endTB {
	e := &endTB{}
	done := make(chan struct{})
	go func() { defer close(done); fn(e) }()
	<-done
	return e
}

func TestMissingToolSkipsOnlyOutsideMakeTestAndCI(t *testing.T) {
	for _, tc := range []struct {
		ci, require string
		fails       bool
	}{
		{"", "", false},
		{"false", "0", false},
		{"", "1", true},
		{"true", "", true},
	} {
		t.Setenv("CI", tc.ci)
		t.Setenv(RequireToolsVar, tc.require)
		e := ending(func(tb testing.TB) { MissingTool(tb, "ffmpeg", "apt-get install -y ffmpeg") })
		msg := e.skip
		if tc.fails {
			msg = e.fatal
		}
		if msg == "" || (e.fatal != "") == (e.skip != "") {
			t.Errorf("CI=%q %s=%q: fatal %q, skip %q", tc.ci, RequireToolsVar, tc.require, e.fatal, e.skip)
			continue
		}
		if !strings.Contains(msg, "ffmpeg is missing") || !strings.Contains(msg, "`apt-get install -y ffmpeg`") {
			t.Errorf("message names neither the tool nor its install command: %q", msg)
		}
	}
}

func TestNeedProgram(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(RequireToolsVar, "1")
	t.Setenv("PATH", t.TempDir())
	e := ending(func(tb testing.TB) { NeedProgram(tb, "pdftotext") })
	if !strings.Contains(e.fatal, "pdftotext is missing; install it with `apt-get install -y poppler-utils`") {
		t.Errorf("missing pdftotext: fatal %q, skip %q", e.fatal, e.skip)
	}
	e = ending(func(tb testing.TB) { NeedProgram(tb, "no-such-program") })
	if !strings.Contains(e.fatal, "no Debian package") {
		t.Errorf("a program with no package: fatal %q", e.fatal)
	}
}

// Every package a test may name is one the set-up installs.
func TestDebianPackagesAreInstalledBySetup(t *testing.T) {
	f, err := os.Open("../../.ci/apt-packages")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{"nodejs": true} // installed where no node is
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			listed[line] = true
		}
	}
	for program, pkg := range debianPackages {
		if !listed[pkg] {
			t.Errorf("%s comes from %s, which .ci/apt-packages does not list", program, pkg)
		}
	}
}
