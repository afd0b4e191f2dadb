package imagego

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"os"
	"slices"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

func run(t *testing.T, op, in, out string, opts engine.Options, inputs ...engine.File) (engine.Result, error) {
	t.Helper()
	return New(Config{}).Run(context.Background(), engine.Request{
		Operation: op, InputFormat: in, OutputFormat: out,
		Inputs: inputs, Options: opts, WorkDir: t.TempDir(),
	})
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want an *engine.Error with code %s", err, code)
	}
	if e.Code() != code {
		t.Fatalf("got code %s (%v), want %s", e.Code(), err, code)
	}
}

func TestConvertEveryPair(t *testing.T) {
	for _, in := range readFormats {
		for _, out := range writeFormats {
			t.Run(in+"_to_"+out, func(t *testing.T) {
				data := encodeAs(t, gradient(64, 48, in == "png"), in)
				f, _ := writeInput(t, "picture."+in, data)
				res, err := run(t, "convert", in, out, nil, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Files) != 1 {
					t.Fatalf("got %d files, want 1", len(res.Files))
				}
				if got, want := res.Files[0].Name, "picture."+out; got != want {
					t.Errorf("got name %q, want %q", got, want)
				}
				format, img := decodeOutput(t, res.Files[0])
				if format != out {
					t.Errorf("got format %s, want %s", format, out)
				}
				if got := img.Bounds().Size(); got != image.Pt(64, 48) {
					t.Errorf("got size %v, want 64x48", got)
				}
			})
		}
	}
}

func TestThumbnailFitModes(t *testing.T) {
	tests := []struct {
		name         string
		srcW, srcH   int
		opts         engine.Options
		wantW, wantH int
	}{
		{"max landscape into square", 400, 200, engine.Options{"width": 100, "height": 100}, 100, 50},
		{"max portrait into square", 200, 400, engine.Options{"width": 100, "height": 100}, 50, 100},
		{"max is the default", 400, 200, engine.Options{"width": 100, "height": 100, "fit": ""}, 100, 50},
		{"max never enlarges", 40, 20, engine.Options{"width": 100, "height": 100}, 40, 20},
		{"max width only", 400, 200, engine.Options{"width": 100}, 100, 50},
		{"max height only", 400, 200, engine.Options{"height": 50}, 100, 50},
		{"crop fills the box", 400, 200, engine.Options{"width": 100, "height": 100, "fit": "crop"}, 100, 100},
		{"crop enlarges to fill", 40, 20, engine.Options{"width": 100, "height": 100, "fit": "crop"}, 100, 100},
		{"crop width only keeps ratio", 400, 200, engine.Options{"width": 100, "fit": "crop"}, 100, 50},
		{"scale ignores ratio", 400, 200, engine.Options{"width": 100, "height": 100, "fit": "scale"}, 100, 100},
		{"scale height only keeps ratio", 400, 200, engine.Options{"height": 100, "fit": "scale"}, 200, 100},
		{"scale enlarges", 40, 20, engine.Options{"width": 80, "height": 80, "fit": "scale"}, 80, 80},
		{"no size keeps the image", 40, 20, nil, 40, 20},
		{"thin image stays one pixel", 1000, 2, engine.Options{"width": 100}, 100, 1},
		{"string numbers from SDKs", 400, 200, engine.Options{"width": "100", "height": "100"}, 100, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := writeInput(t, "photo.png", encodeAs(t, gradient(tt.srcW, tt.srcH, false), "png"))
			res, err := run(t, "thumbnail", "png", "jpg", tt.opts, f)
			if err != nil {
				t.Fatal(err)
			}
			_, img := decodeOutput(t, res.Files[0])
			if got, want := img.Bounds().Size(), image.Pt(tt.wantW, tt.wantH); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestCropKeepsTheCentre(t *testing.T) {
	// Left third red, middle blue, right third red: a square crop of the
	// centre must be blue at its edges.
	src := image.NewNRGBA(image.Rect(0, 0, 300, 100))
	for y := range 100 {
		for x := range 300 {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= 100 && x < 200 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	f, _ := writeInput(t, "flag.png", encodeAs(t, src, "png"))
	res, err := run(t, "thumbnail", "png", "png", engine.Options{"width": 50, "height": 50, "fit": "crop"}, f)
	if err != nil {
		t.Fatal(err)
	}
	_, img := decodeOutput(t, res.Files[0])
	for _, x := range []int{0, 49} {
		r, _, b, _ := img.At(x, 25).RGBA()
		if r > 0x2000 || b < 0xe000 {
			t.Errorf("pixel (%d,25): got r=%#x b=%#x, want blue", x, r, b)
		}
	}
}

func TestJPEGFlattensAlphaOnWhite(t *testing.T) {
	f, _ := writeInput(t, "logo.png", encodeAs(t, gradient(40, 40, true), "png"))
	res, err := run(t, "convert", "png", "jpg", nil, f)
	if err != nil {
		t.Fatal(err)
	}
	_, img := decodeOutput(t, res.Files[0])
	r, g, b, _ := img.At(5, 20).RGBA()
	if r < 0xf000 || g < 0xf000 || b < 0xf000 {
		t.Errorf("transparent pixel: got rgb %#x %#x %#x, want white", r, g, b)
	}
}

func TestGIFKeepsTransparency(t *testing.T) {
	f, _ := writeInput(t, "logo.png", encodeAs(t, gradient(40, 40, true), "png"))
	res, err := run(t, "convert", "png", "gif", nil, f)
	if err != nil {
		t.Fatal(err)
	}
	_, img := decodeOutput(t, res.Files[0])
	if _, _, _, a := img.At(5, 20).RGBA(); a != 0 {
		t.Errorf("transparent pixel: got alpha %#x, want 0", a)
	}
	if _, _, _, a := img.At(35, 20).RGBA(); a != 0xffff {
		t.Errorf("opaque pixel: got alpha %#x, want 0xffff", a)
	}
}

func TestGIFUsesFirstFrame(t *testing.T) {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}}
	anim := &gif.GIF{Delay: []int{10, 10}}
	for i := range 2 {
		fr := image.NewPaletted(image.Rect(0, 0, 8, 8), pal)
		for j := range fr.Pix {
			fr.Pix[j] = uint8(i)
		}
		anim.Image = append(anim.Image, fr)
	}
	p := t.TempDir() + "/anim.gif"
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := gif.EncodeAll(w, anim); err != nil {
		t.Fatal(err)
	}
	w.Close()
	res, err := run(t, "convert", "gif", "png", nil, engine.File{Path: p, Name: "anim.gif"})
	if err != nil {
		t.Fatal(err)
	}
	_, img := decodeOutput(t, res.Files[0])
	if r, g, _, _ := img.At(4, 4).RGBA(); r != 0xffff || g != 0 {
		t.Errorf("got r=%#x g=%#x, want the red first frame", r, g)
	}
}

func TestOptimize(t *testing.T) {
	photo := gradient(300, 200, false)
	tests := []struct {
		name   string
		format string
		data   []byte
		// shrinks: the output must be smaller; otherwise it must be the
		// input byte for byte, because re-encoding would have grown it.
		shrinks bool
	}{
		{"jpg at quality 100 shrinks", "jpg", mustEncode(t, photo, encoding{format: "jpg", quality: 100}), true},
		{"png at no compression shrinks", "png", mustEncode(t, photo, encoding{format: "png"}), true},
		{"jpg at quality 20 stays as it is", "jpg", mustEncode(t, photo, encoding{format: "jpg", quality: 20}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := writeInput(t, "photo."+tt.format, tt.data)
			res, err := run(t, "optimize", tt.format, "", nil, f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(res.Files[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			if format, _ := decodeOutput(t, res.Files[0]); format != tt.format {
				t.Errorf("got format %s, want %s", format, tt.format)
			}
			switch {
			case tt.shrinks && len(got) >= len(tt.data):
				t.Errorf("got %d bytes, want fewer than %d", len(got), len(tt.data))
			case !tt.shrinks && string(got) != string(tt.data):
				t.Errorf("got %d re-encoded bytes, want the %d input bytes unchanged", len(got), len(tt.data))
			}
		})
	}
}

func mustEncode(t *testing.T, img image.Image, enc encoding) []byte {
	t.Helper()
	if enc.format == "png" {
		// An uncompressed PNG, so optimize has something to win.
		return uncompressedPNG(t, img)
	}
	return encodeWith(t, img, enc)
}

func TestOutputNames(t *testing.T) {
	data := encodeAs(t, gradient(8, 8, false), "png")
	a, _ := writeInput(t, "a.png", data)
	b, _ := writeInput(t, "a.png", data)
	tests := []struct {
		name   string
		opts   engine.Options
		inputs []engine.File
		want   []string
	}{
		{"extension replaced", nil, []engine.File{a}, []string{"a.jpg"}},
		{"filename option", engine.Options{"filename": "out.jpg"}, []engine.File{a}, []string{"out.jpg"}},
		{"filename option cannot escape", engine.Options{"filename": "../../etc/x.jpg"}, []engine.File{a}, []string{"x.jpg"}},
		{"same names de-duplicated", nil, []engine.File{a, b}, []string{"a.jpg", "a (1).jpg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := run(t, "convert", "png", "jpg", tt.opts, tt.inputs...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Files {
				got = append(got, f.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	png := encodeAs(t, gradient(8, 8, false), "png")
	tests := []struct {
		name     string
		op, out  string
		data     []byte
		opts     engine.Options
		wantCode string
	}{
		{"corrupt png", "convert", "jpg", png[:len(png)/2], nil, engine.CodeInvalidInput},
		{"not an image", "convert", "jpg", []byte("%PDF-1.7 hello"), nil, engine.CodeInvalidInput},
		{"empty file", "convert", "jpg", nil, nil, engine.CodeInvalidInput},
		{"png bomb 100000x100000", "convert", "jpg", pngHeader(100000, 100000), nil, engine.CodeTooLarge},
		{"png over the pixel limit", "thumbnail", "png", pngHeader(8000, 6000), nil, engine.CodeTooLarge},
		{"png over the side limit", "convert", "png", pngHeader(20000, 10), nil, engine.CodeTooLarge},
		{"gif bomb 65535x65535", "convert", "png", gifHeader(65535, 65535), nil, engine.CodeTooLarge},
		{"webp bomb 16384x16384", "convert", "png", webpSolid(16384, 16384, color.NRGBA{A: 255}), nil, engine.CodeTooLarge},
		{"output wider than the limit", "convert", "png", png, engine.Options{"width": 20000, "fit": "scale"}, engine.CodeTooLarge},
		{"output over the pixel limit", "thumbnail", "png", png, engine.Options{"width": 16000, "height": 16000, "fit": "crop"}, engine.CodeTooLarge},
		{"quality 0", "convert", "jpg", png, engine.Options{"quality": 0}, engine.CodeInvalidInput},
		{"quality 101", "convert", "jpg", png, engine.Options{"quality": 101}, engine.CodeInvalidInput},
		{"unknown fit", "thumbnail", "png", png, engine.Options{"width": 10, "fit": "zoom"}, engine.CodeInvalidInput},
		{"negative width", "thumbnail", "png", png, engine.Options{"width": -1}, engine.CodeInvalidInput},
		{"width not a number", "thumbnail", "png", png, engine.Options{"width": "wide"}, engine.CodeInvalidInput},
		{"thumbnail to bmp", "thumbnail", "bmp", png, nil, engine.CodeUnsupportedConversion},
		{"convert to webp", "convert", "webp", png, nil, engine.CodeUnsupportedConversion},
		{"merge", "merge", "pdf", png, nil, engine.CodeUnsupportedConversion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := writeInput(t, "in.png", tt.data)
			_, err := run(t, tt.op, "png", tt.out, tt.opts, f)
			wantCode(t, err, tt.wantCode)
		})
	}
}

func TestProgressAndCancel(t *testing.T) {
	data := encodeAs(t, gradient(32, 32, false), "png")
	a, dir := writeInput(t, "a.png", data)
	var got []int
	req := engine.Request{
		Operation: "convert", InputFormat: "png", OutputFormat: "jpg",
		Inputs: []engine.File{a, a}, WorkDir: dir,
		Progress: func(p int) { got = append(got, p) },
	}
	if _, err := New(Config{}).Run(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(got) || got[len(got)-1] != 100 {
		t.Errorf("got progress %v, want non-decreasing and ending at 100", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req.Progress = nil
	if _, err := New(Config{}).Run(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestConversionsAreSupported(t *testing.T) {
	e := New(Config{})
	for _, c := range e.Conversions() {
		if !e.supports(c.Operation, c.Input, c.Output) {
			t.Errorf("%s %s to %s listed but not supported", c.Operation, c.Input, c.Output)
		}
	}
	if got := len(e.Conversions()); got != 6*5+6*3+2 {
		t.Errorf("got %d conversions, want %d", got, 6*5+6*3+2)
	}
	if e.Version() == "" {
		t.Error("got empty version")
	}
	if got := e.Name(); got != "imagego" {
		t.Errorf("got name %q, want imagego", got)
	}
}
