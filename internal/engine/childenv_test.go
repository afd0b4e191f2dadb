package engine

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestChildEnv(t *testing.T) {
	t.Setenv("GATEWAY_ADMIN_TOKEN", "sentinel-childenv")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sentinel-childenv")
	t.Setenv("LANG", "de_DE.UTF-8")
	if got, want := ChildEnv(), []string{"PATH=" + ChildPath, "LANG=C.UTF-8"}; !slices.Equal(got, want) {
		t.Errorf("ChildEnv() = %q, want %q", got, want)
	}
	got := ChildEnv("HOME=/w", "LANG=fr_FR.UTF-8", "TMPDIR=/w/tmp", "HOME=/v")
	want := []string{"PATH=" + ChildPath, "LANG=fr_FR.UTF-8", "HOME=/v", "TMPDIR=/w/tmp"}
	if !slices.Equal(got, want) {
		t.Errorf("ChildEnv with vars = %q, want %q", got, want)
	}
}

// Asking a program its version passes it none of the gateway's
// environment either.
func TestProgramVersionEnvironment(t *testing.T) {
	t.Setenv("GATEWAY_ADMIN_TOKEN", "sentinel-version")
	p := filepath.Join(t.TempDir(), "prog")
	script := "#!/bin/sh\necho \"version ${GATEWAY_ADMIN_TOKEN:-clean}-$PATH\"\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := ProgramVersion(VersionWord, p), "clean-"+ChildPath; got != want {
		t.Errorf("version %q, want %q", got, want)
	}
}
