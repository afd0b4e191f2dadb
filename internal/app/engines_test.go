package app

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/vips"
)

// machineEngines is the registry registerEngines builds on this machine,
// with nothing started.
func machineEngines(t *testing.T) *engine.Registry {
	t.Helper()
	cfg, err := config.LoadFrom(map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a := &App{Config: cfg, Log: slog.New(slog.DiscardHandler)}
	reg := engine.NewRegistry()
	a.registerEngines(reg)
	t.Cleanup(func() {
		if err := reg.Close(); err != nil {
			t.Error(err)
		}
	})
	return reg
}

// The catalog knows every engine registerEngines does, and needs what a
// worker with this machine's engines would pick, for every conversion this
// machine can do.
func TestEngineCatalogMatchesRegisterEngines(t *testing.T) {
	machine, catalog := machineEngines(t), engineCatalog()

	if got := catalog.Families(); len(got) != 0 {
		t.Errorf("the catalog runs external engines: %q", got)
	}
	var known []string
	for _, m := range catalog.Missing() {
		known = append(known, m.Engine)
	}
	slices.Sort(known)
	want := machine.Families()
	for _, m := range machine.Missing() {
		want = append(want, m.Engine)
	}
	if !slices.Contains(want, vips.Name) {
		want = append(want, vips.Name) // registerEngines leaves a missing libvips out
	}
	slices.Sort(want)
	if !slices.Equal(known, want) {
		t.Errorf("catalog knows %q, registerEngines %q", known, want)
	}

	formats := machine.Formats()
	if len(formats) == 0 {
		t.Fatal("registerEngines registered no conversion")
	}
	for _, c := range formats {
		if got, want := catalog.Need(c.Operation, c.Input, c.Output), machine.Need(c.Operation, c.Input, c.Output); got != want {
			t.Errorf("%s %s→%s: the catalog needs %q, this machine %q", c.Operation, c.Input, c.Output, got, want)
		}
		if got, want := catalog.NeedNamed(c.Engine, c.Operation, c.Input, c.Output), machine.NeedNamed(c.Engine, c.Operation, c.Input, c.Output); got != want {
			t.Errorf("%s %s→%s by %s: the catalog needs %q, this machine %q", c.Operation, c.Input, c.Output, c.Engine, got, want)
		}
	}
}

// What the jobs of the documentation need, whatever this machine has.
func TestEngineCatalogNeeds(t *testing.T) {
	catalog := engineCatalog()
	tests := []struct{ op, in, out, want string }{
		{"convert", "html", "pdf", "chromium"},
		{"capture-website", "website", "png", "chromium"},
		{"convert", "docx", "pdf", "libreoffice"},
		{"convert", "xlsx", "pdf", "libreoffice"},
		{"convert", "mp4", "webm", "ffmpeg"},
		{"thumbnail", "mp4", "jpg", "ffmpeg"},
		{"merge", "pdf", "pdf", "pdf"},
		{"convert", "png", "webp", "libvips"},
		{"convert", "png", "jpg", ""},
		{"thumbnail", "png", "png", ""},
		{"optimize", "jpg", "", ""},
		{"archive", "docx", "zip", ""},
		{"convert", "xyz", "pdf", ""},
	}
	for _, tt := range tests {
		if got := catalog.Need(tt.op, tt.in, tt.out); got != tt.want {
			t.Errorf("%s %s→%s needs %q, want %q", tt.op, tt.in, tt.out, got, tt.want)
		}
	}
}
