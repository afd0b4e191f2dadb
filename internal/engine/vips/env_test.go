package vips

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/testutil"
)

// libvips parses untrusted images, so its programs get none of the
// gateway's environment, which holds its secrets. Stand-ins for vips and
// vipsheader record their environment, then run the real programs.
func TestProgramsGetNoGatewayEnvironment(t *testing.T) {
	const secret = "sentinel-vips-env-7f3a"
	t.Setenv("GATEWAY_ADMIN_TOKEN", secret)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	realVips := testutil.NeedProgram(t, "vips")
	dir := t.TempDir()
	bin, dumps := filepath.Join(dir, "bin"), filepath.Join(dir, "env")
	for _, d := range []string{bin, dumps} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"vips", "vipsheader"} {
		script := "#!/bin/sh\nenv > " + dumps + "/" + name + ".$$\nexec " +
			filepath.Join(filepath.Dir(realVips), name) + ` "$@"` + "\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e := newEngine(t, Config{Dir: bin})
	work := t.TempDir()
	src := writePNG(t, work, 40, 20)
	if _, err := run(t, e, "thumbnail", "png", "jpg", src, engine.Options{"width": 10}); err != nil {
		t.Fatal(err)
	}

	ents, err := os.ReadDir(dumps)
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	jobTmp := false
	for _, ent := range ents {
		b, err := os.ReadFile(filepath.Join(dumps, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		env := strings.Split(strings.TrimSpace(string(b)), "\n")
		name, _, _ := strings.Cut(ent.Name(), ".")
		ran = append(ran, name)
		for _, kv := range env {
			if strings.HasPrefix(kv, "GATEWAY_") || strings.HasPrefix(kv, "AWS_") || strings.Contains(kv, secret) {
				t.Errorf("%s ran with %q", name, kv)
			}
		}
		for _, want := range []string{"PATH=" + engine.ChildPath, "VIPS_BLOCK_UNTRUSTED=1"} {
			if !slices.Contains(env, want) {
				t.Errorf("%s ran without %s", name, want)
			}
		}
		// A conversion's temporary files stay in the job's directory.
		for _, kv := range env {
			if tmp, ok := strings.CutPrefix(kv, "TMPDIR="); ok {
				jobTmp = true
				if !strings.HasPrefix(tmp, work+"/") {
					t.Errorf("%s ran with TMPDIR %s, outside the job's directory %s", name, tmp, work)
				}
			}
		}
	}
	// Detection in New and the conversion ran both programs.
	if !slices.Contains(ran, "vips") || !slices.Contains(ran, "vipsheader") {
		t.Fatalf("the stand-ins ran as %v", ran)
	}
	if !jobTmp {
		t.Error("the conversion's programs ran without a TMPDIR in the job's directory")
	}
}
