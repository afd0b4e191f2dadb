package pdfengine

import (
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

// FuzzRenderOptions checks that accepted options are in range and that
// every page geometry they give is a positive size with the crop inside it.
func FuzzRenderOptions(f *testing.F) {
	for _, s := range []string{"1", "2-5", "3-", "all", "0", "-1", "1;id", "150", "crop", "9999999-"} {
		f.Add(s, s, s, 612.0, 792.0)
	}
	f.Fuzz(func(t *testing.T, pages, num, fit string, pw, ph float64) {
		r, err := parseRender("convert", engine.Options{"pages": pages, "dpi": num, "width": num, "fit": fit})
		if err != nil {
			if c := engine.CodeOf(err); c != engine.CodeInvalidInput && c != engine.CodeTooLarge {
				t.Fatalf("code %s", c)
			}
			return
		}
		if r.first < 1 || r.last != 0 && r.last < r.first || r.dpi < 36 || r.dpi > 600 || r.width < 0 || r.width > 16384 {
			t.Fatalf("accepted %+v", r)
		}
		if !(pw >= 0.1 && pw <= 1e6 && ph >= 0.1 && ph <= 1e6) {
			return // renderPage refuses other sizes
		}
		g := r.pageGeometry(pw, ph)
		if g.w < 1 || g.h < 1 || g.x < 0 || g.y < 0 || g.x+g.cropW > g.w || g.y+g.cropH > g.h {
			t.Fatalf("geometry %+v for %+v on %gx%g", g, r, pw, ph)
		}
	})
}
