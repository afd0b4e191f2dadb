package vips

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/gif"
	_ "image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/testutil"
)

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if errors.Is(err, ErrNotInstalled) {
		testutil.MissingTool(t, "vips", testutil.AptInstall(Package))
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func writePNG(t *testing.T, dir string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "photo.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, e *Engine, op, in, out string, src string, opts engine.Options) (engine.File, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := e.Run(ctx, engine.Request{Operation: op, InputFormat: in, OutputFormat: out,
		Inputs: []engine.File{{Path: src, Name: filepath.Base(src)}}, Options: opts, WorkDir: filepath.Dir(src)})
	if err != nil {
		return engine.File{}, err
	}
	return res.Files[0], nil
}

// size reads an output back: with Go's decoders where there is one, so the
// format is checked independently of libvips, else with vipsheader.
func size(t *testing.T, e *Engine, p string) (string, int, int) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(b)); err == nil {
		return format, cfg.Width, cfg.Height
	}
	h, err := e.readHeader(context.Background(), "", p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return strings.TrimSuffix(h.loader, "load"), h.width, h.height
}

var goFormat = map[string]string{"jpg": "jpeg", "avif": "heif", "heic": "heif"}

func TestConvert(t *testing.T) {
	e := newEngine(t, Config{})
	for _, must := range []string{"png", "jpg", "webp", "gif", "tiff"} {
		if !slices.Contains(e.Formats(), must) {
			t.Errorf("libvips %s lacks %s: %v", e.Version(), must, e.Formats())
		}
	}
	for _, out := range e.Formats() {
		if out == "png" {
			continue
		}
		t.Run(out, func(t *testing.T) {
			src := writePNG(t, t.TempDir(), 64, 48)
			f, err := run(t, e, "convert", "png", out, src, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := out
			if g, ok := goFormat[out]; ok {
				want = g
			}
			format, w, h := size(t, e, f.Path)
			if format != want || w != 64 || h != 48 || f.Name != "photo."+out {
				t.Errorf("got %s %dx%d %q", format, w, h, f.Name)
			}
		})
	}
}

func TestThumbnailAndOptimize(t *testing.T) {
	e := newEngine(t, Config{})
	tests := []struct {
		op, out string
		opts    engine.Options
		w, h    int
	}{
		{"thumbnail", "jpg", engine.Options{"width": 50}, 50, 25},
		{"thumbnail", "png", engine.Options{"width": 50, "height": 50, "fit": "crop"}, 50, 50},
		{"thumbnail", "webp", engine.Options{"width": 30, "height": 40, "fit": "scale"}, 30, 40},
		{"thumbnail", "png", engine.Options{"width": 1000}, 200, 100}, // max never enlarges
		{"optimize", "png", engine.Options{"quality": 60}, 200, 100},
	}
	for _, tc := range tests {
		src := writePNG(t, t.TempDir(), 200, 100)
		f, err := run(t, e, tc.op, "png", tc.out, src, tc.opts)
		if err != nil {
			t.Fatalf("%s %v: %v", tc.op, tc.opts, err)
		}
		if _, w, h := size(t, e, f.Path); w != tc.w || h != tc.h {
			t.Errorf("%s %v: %dx%d, want %dx%d", tc.op, tc.opts, w, h, tc.w, tc.h)
		}
	}
}

func TestRefusals(t *testing.T) {
	e := newEngine(t, Config{MaxPixels: 1_000_000})
	dir := t.TempDir()
	src := writePNG(t, dir, 8, 8)
	bomb := filepath.Join(dir, "bomb.png")
	b, _ := os.ReadFile(src)
	// IHDR follows the 8-byte signature: length, "IHDR", width, height.
	binary.BigEndian.PutUint32(b[16:], 100000)
	binary.BigEndian.PutUint32(b[20:], 100000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	os.WriteFile(bomb, b, 0o644)
	notImage := filepath.Join(dir, "text.png")
	os.WriteFile(notImage, []byte("hello"), 0o644)
	tests := []struct {
		name, src, op string
		opts          engine.Options
		code          string
	}{
		{"bomb", bomb, "convert", nil, engine.CodeTooLarge},
		{"not an image", notImage, "convert", nil, engine.CodeInvalidInput},
		{"bad fit", src, "thumbnail", engine.Options{"width": 5, "fit": "[Q=1]"}, engine.CodeInvalidInput},
		{"bad quality", src, "convert", engine.Options{"quality": 101}, engine.CodeInvalidInput},
		{"huge box", src, "thumbnail", engine.Options{"width": 100000}, engine.CodeTooLarge},
	}
	for _, tc := range tests {
		_, err := run(t, e, tc.op, "png", "jpg", tc.src, tc.opts)
		if engine.CodeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// A PNG declared as GIF is refused: the loader must match the format.
	gifName := filepath.Join(dir, "real.gif")
	os.Rename(src, gifName)
	if _, err := run(t, e, "convert", "gif", "jpg", gifName, nil); engine.CodeOf(err) != engine.CodeInvalidInput {
		t.Errorf("png posing as gif: %v", err)
	}
	if _, err := run(t, e, "convert", "png", "pdf", gifName, nil); engine.CodeOf(err) != engine.CodeUnsupportedConversion {
		t.Errorf("png to pdf: %v", err)
	}
}

func TestMissingVips(t *testing.T) {
	if _, err := New(Config{Dir: "/nonexistent"}); !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), Package) {
		t.Fatalf("err %v", err)
	}
	// The other tests skip without vips, except where tools are required.
	if _, err := exec.LookPath("vips"); err != nil && testutil.ToolsRequired() {
		t.Fatal("vips is missing (required under make test and in CI)")
	}
}

// The package's Conversions describe a libvips that writes every candidate
// format: a superset of what an installed one detects.
func TestConversionsSuperset(t *testing.T) {
	all := Conversions()
	if !slices.Contains(all, engine.Conversion{Operation: "convert", Input: "png", Output: "avif"}) ||
		!slices.Contains(all, engine.Conversion{Operation: "optimize", Input: "webp", Output: "webp"}) ||
		slices.Contains(all, engine.Conversion{Operation: "convert", Input: "png", Output: "png"}) {
		t.Errorf("unexpected static list: %v", all)
	}
	e := newEngine(t, Config{})
	for _, c := range e.Conversions() {
		if !slices.Contains(all, c) {
			t.Errorf("installed engine does %v, missing from Conversions()", c)
		}
	}
}
