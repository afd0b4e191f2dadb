package imagego

import (
	"bytes"
	"context"
	"image"
	"testing"

	"golang.org/x/image/draw"

	"github.com/signedgate/gateway/internal/engine"
)

// BenchmarkThumbnail is the common case: a camera-sized JPEG to a 400-pixel
// thumbnail, through the whole engine (decode, resize, encode, write).
func BenchmarkThumbnail(b *testing.B) {
	f, dir := writeInput(b, "photo.jpg", encodeAs(b, gradient(2000, 1500, false), "jpg"))
	e := New(Config{})
	req := engine.Request{
		Operation: "thumbnail", InputFormat: "jpg", OutputFormat: "jpg",
		Inputs: []engine.File{f}, WorkDir: dir,
		Options: engine.Options{"width": 400, "height": 400},
	}
	for b.Loop() {
		// A fixed output name would make CreateOutput probe ever more
		// " (n)" names; a fresh directory keeps each run alike.
		req.WorkDir = b.TempDir()
		if _, err := e.Run(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScaler compares ways to do the thumbnail's resize alone; it is
// the measurement behind resize().
func BenchmarkScaler(b *testing.B) {
	d, err := limits{maxPixels: DefaultMaxPixels, maxSide: DefaultMaxSide}.decode(
		bytes.NewReader(encodeAs(b, gradient(2000, 1500, false), "jpg")))
	if err != nil {
		b.Fatal(err)
	}
	g := fitBox(d.img.Bounds(), 400, 400, FitMax)
	kernel := func(s draw.Scaler) func(*image.RGBA) {
		return func(dst *image.RGBA) { s.Scale(dst, dst.Bounds(), d.img, g.src, draw.Src, nil) }
	}
	for _, s := range []struct {
		name  string
		scale func(dst *image.RGBA)
	}{
		{"CatmullRom", kernel(draw.CatmullRom)},
		{"BiLinear", kernel(draw.BiLinear)},
		{"ApproxBiLinear", kernel(draw.ApproxBiLinear)},
		{"BoxThenCatmullRom", func(*image.RGBA) { resize(d.img, g) }},
	} {
		b.Run(s.name, func(b *testing.B) {
			dst := image.NewRGBA(image.Rect(0, 0, g.w, g.h))
			for b.Loop() {
				s.scale(dst)
			}
		})
	}
}
