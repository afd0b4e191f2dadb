package imagego

import (
	"image"

	"github.com/signedgate/gateway/internal/engine"
)

// Fit modes of the "fit" option, as CloudConvert defines them.
const (
	// FitMax fits the image inside width x height keeping its ratio, and
	// never enlarges it.
	FitMax = "max"
	// FitCrop fills width x height keeping the ratio and cuts off what
	// overflows, centred. It enlarges when needed to fill the box.
	FitCrop = "crop"
	// FitScale stretches to exactly width x height, ignoring the ratio.
	FitScale = "scale"
)

// Default JPEG qualities: convert keeps more detail because its output is the
// document the user asked for; optimize trades it for size by definition.
const (
	defaultQuality         = 85
	defaultOptimizeQuality = 75
)

// params are the options imagego understands, validated once per task.
type params struct {
	width, height int
	fit           string
	quality       int
}

func parseParams(op string, o engine.Options) (params, error) {
	p := params{fit: FitMax, quality: defaultQuality}
	if op == "optimize" {
		p.quality = defaultOptimizeQuality
	}
	var err error
	if p.width, err = o.Int("width"); err != nil {
		return p, err
	}
	if p.height, err = o.Int("height"); err != nil {
		return p, err
	}
	if p.width < 0 || p.height < 0 {
		return p, engine.Errorf(engine.CodeInvalidInput, "options width and height must not be negative")
	}
	fit, err := o.String("fit")
	if err != nil {
		return p, err
	}
	switch fit {
	case "":
	case FitMax, FitCrop, FitScale:
		p.fit = fit
	default:
		return p, engine.Errorf(engine.CodeInvalidInput, "option fit must be max, crop or scale, not %q", fit)
	}
	if o.Has("quality") {
		q, err := o.Int("quality")
		if err != nil {
			return p, err
		}
		if q < 1 || q > 100 {
			return p, engine.Errorf(engine.CodeInvalidInput, "option quality must be between 1 and 100, not %d", q)
		}
		p.quality = q
	}
	return p, nil
}

// geometry is a resize: the part of the source to use and the output size.
type geometry struct {
	src  image.Rectangle
	w, h int
}

// fitBox works out the output size for a box of w x h (0 meaning "not
// given") and a fit mode. With only one side given every mode keeps the
// ratio; with neither the image keeps its size. For crop the source
// rectangle is cut to the box's ratio before scaling, so no intermediate
// image larger than the output is ever allocated.
func fitBox(b image.Rectangle, w, h int, fit string) geometry {
	sw, sh := int64(b.Dx()), int64(b.Dy())
	g := geometry{src: b, w: int(sw), h: int(sh)}
	W, H := int64(w), int64(h)
	switch {
	case sw == 0 || sh == 0 || (W == 0 && H == 0):
		return g
	case H == 0:
		if fit == FitMax && W >= sw {
			return g
		}
		g.w, g.h = int(W), ratio(sh, W, sw)
	case W == 0:
		if fit == FitMax && H >= sh {
			return g
		}
		g.w, g.h = ratio(sw, H, sh), int(H)
	case fit == FitScale:
		g.w, g.h = int(W), int(H)
	case fit == FitCrop:
		g.w, g.h = int(W), int(H)
		if sw*H > sh*W { // source is wider than the box: trim left and right
			cw := min(ratio(sh, W, H), int(sw))
			x0 := b.Min.X + (int(sw)-cw)/2
			g.src = image.Rect(x0, b.Min.Y, x0+cw, b.Max.Y)
		} else {
			ch := min(ratio(sw, H, W), int(sh))
			y0 := b.Min.Y + (int(sh)-ch)/2
			g.src = image.Rect(b.Min.X, y0, b.Max.X, y0+ch)
		}
	default: // FitMax
		if W >= sw && H >= sh {
			return g
		}
		if W*sh <= H*sw { // width is the tighter side
			g.w, g.h = int(W), ratio(sh, W, sw)
		} else {
			g.w, g.h = ratio(sw, H, sh), int(H)
		}
	}
	return g
}

// ratio returns round(a*b/c), at least 1, so a very thin image never
// becomes zero pixels wide.
func ratio(a, b, c int64) int {
	return int(max((2*a*b+c)/(2*c), 1))
}
