package engine

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestProgramVersion(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, body string
		pattern    *regexp.Regexp
		args       []string
		want       string
	}{
		{"office", `echo "LibreOffice 7.4.7.2 40(Build:2)"`, regexp.MustCompile(`\d+\.\d+\.\d+(?:\.\d+)?`), nil, "7.4.7.2"},
		{"ffmpeg", `echo "ffmpeg version 5.1.6-0+deb12u1 Copyright"`, VersionWord, []string{"-version"}, "5.1.6-0+deb12u1"},
		{"stderr", `echo "pdftoppm version 22.12.0" >&2`, VersionWord, []string{"-v"}, "22.12.0"},
		{"silent", `true`, VersionWord, nil, "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ProgramVersion(tc.pattern, script(tc.name, tc.body), tc.args...); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := ProgramVersion(VersionWord, filepath.Join(dir, "missing")); got != "unknown" {
		t.Fatalf("missing program: got %q", got)
	}
}
