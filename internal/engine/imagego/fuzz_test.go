package imagego

import (
	"bytes"
	"errors"
	"image/color"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

// FuzzDecode feeds arbitrary bytes through the decode path and a resize:
// whatever a user uploads, the engine must answer INVALID_INPUT or TOO_LARGE
// and never panic or exceed its limits. Limits are small so the fuzzer can
// find oversize images without exhausting memory.
func FuzzDecode(f *testing.F) {
	img := gradient(16, 12, true)
	for _, format := range []string{"png", "jpg", "gif", "bmp", "tiff"} {
		f.Add(encodeAs(f, img, format))
	}
	f.Add(webpSolid(16, 12, color.NRGBA{1, 2, 3, 255}))
	f.Add(pngHeader(100000, 100000))
	f.Add(gifHeader(65535, 65535))

	l := limits{maxPixels: 1 << 20, maxSide: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := l.decode(bytes.NewReader(data))
		if err != nil {
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("got uncoded error %v", err)
			}
			if c := e.Code(); c != engine.CodeInvalidInput && c != engine.CodeTooLarge {
				t.Fatalf("got code %s (%v), want INVALID_INPUT or TOO_LARGE", c, err)
			}
			return
		}
		b := d.img.Bounds()
		if b.Dx() > l.maxSide || b.Dy() > l.maxSide || b.Dx()*b.Dy() > l.maxPixels {
			t.Fatalf("decoded %v past the limits", b)
		}
		g := fitBox(b, 8, 8, FitCrop)
		if out := resize(d.img, g); out.Bounds().Dx() != 8 && b.Dx() > 0 {
			t.Fatalf("got width %d, want 8", out.Bounds().Dx())
		}
	})
}
