package pdfengine

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/internal/engine"
)

// Fit modes of the "fit" option, as CloudConvert defines them.
const (
	fitMax   = "max"
	fitCrop  = "crop"
	fitScale = "scale"
)

const defaultDPI = 150

// renderOpts are the validated options of a convert or thumbnail task.
type renderOpts struct {
	first, last   int // pages; last 0 = the document's last page
	dpi           int
	width, height int
	fit           string
}

var pagesRE = regexp.MustCompile(`^([0-9]{1,7})(?:\s*-\s*([0-9]{1,7})?)?$`)

func parseRender(op string, o engine.Options) (renderOpts, error) {
	r := renderOpts{first: 1, last: 1, dpi: defaultDPI, fit: fitMax}
	var err error
	if op == "convert" && o.Has("pages") {
		if r.first, r.last, err = pagesOption(o); err != nil {
			return r, err
		}
	}
	if blank(o, "dpi") {
	} else if r.dpi, err = o.Int("dpi"); err != nil {
		return r, err
	} else if r.dpi < 36 || r.dpi > 600 {
		return r, engine.Errorf(engine.CodeInvalidInput, "option dpi must be between 36 and 600")
	}
	if r.width, err = o.Int("width"); err != nil {
		return r, err
	}
	if r.height, err = o.Int("height"); err != nil {
		return r, err
	}
	if r.width < 0 || r.height < 0 {
		return r, engine.Errorf(engine.CodeInvalidInput, "options width and height must not be negative")
	}
	if r.width > 16384 || r.height > 16384 {
		return r, engine.Errorf(engine.CodeTooLarge, "options width and height must be at most 16384")
	}
	fit, err := o.String("fit")
	if err != nil {
		return r, err
	}
	switch fit = strings.TrimSpace(fit); fit {
	case "":
	case fitMax, fitCrop, fitScale:
		r.fit = fit
	default:
		return r, engine.Errorf(engine.CodeInvalidInput, "option fit must be max, crop or scale")
	}
	return r, nil
}

// pagesOption reads pages as a page number (3, "3"), a range ("2-5"), an
// open range ("2-", to the end) or "all".
func pagesOption(o engine.Options) (first, last int, err error) {
	bad := engine.Errorf(engine.CodeInvalidInput, `option pages must be a page number or a range such as "2-5", "3-" or "all"`)
	if blank(o, "pages") {
		return 1, 1, nil
	}
	if s, serr := o.String("pages"); serr == nil {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "all" {
			return 1, 0, nil
		}
		m := pagesRE.FindStringSubmatch(s)
		if m == nil {
			return 0, 0, bad
		}
		first, _ = strconv.Atoi(m[1])
		switch {
		case m[2] != "":
			last, _ = strconv.Atoi(m[2])
		case strings.Contains(s, "-"):
			last = 0
		default:
			last = first
		}
	} else {
		n, ierr := o.Int("pages")
		if ierr != nil {
			return 0, 0, bad
		}
		first, last = n, n
	}
	if first < 1 || last != 0 && last < first {
		return 0, 0, bad
	}
	return first, last, nil
}

// blank reports whether an option is missing, null or a blank string, which
// SDKs send for fields the user left empty.
func blank(o engine.Options, key string) bool {
	if !o.Has(key) {
		return true
	}
	s, ok := o[key].(string)
	return ok && strings.TrimSpace(s) == ""
}

// geometry is how one page is rendered: scaled to w x h pixels, then, for
// crop, the cropW x cropH box at x, y cut out.
type geometry struct {
	w, h               int
	x, y, cropW, cropH int
}

// pageGeometry works out the rendering of a page of pw x ph points. Without
// width and height the page is rendered at dpi. Since a PDF page is vector
// art, max fits the page inside the box, enlarging when needed.
func (r renderOpts) pageGeometry(pw, ph float64) geometry {
	W, H := float64(r.width), float64(r.height)
	round := func(f float64) int { return max(int(math.Round(f)), 1) }
	switch {
	case W == 0 && H == 0:
		s := float64(r.dpi) / 72
		return geometry{w: round(pw * s), h: round(ph * s)}
	case H == 0:
		return geometry{w: r.width, h: round(ph * W / pw)}
	case W == 0:
		return geometry{w: round(pw * H / ph), h: r.height}
	case r.fit == fitScale:
		return geometry{w: r.width, h: r.height}
	case r.fit == fitCrop:
		s := max(W/pw, H/ph)
		g := geometry{w: max(round(pw*s), r.width), h: max(round(ph*s), r.height), cropW: r.width, cropH: r.height}
		g.x, g.y = (g.w-r.width)/2, (g.h-r.height)/2
		return g
	default:
		s := min(W/pw, H/ph)
		return geometry{w: round(pw * s), h: round(ph * s)}
	}
}
