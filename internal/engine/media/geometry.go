package media

import "fmt"

// evenFit fits a w x h frame inside a box of bw x bh (0 meaning "not given")
// keeping the ratio, and rounds both sides down to even numbers, which
// yuv420p encoders require. Without a box only the rounding applies. It
// never enlarges.
func evenFit(w, h, bw, bh int) (int, int) {
	g := fitBox(w, h, bw, bh, fitMax)
	return max(g.w&^1, 2), max(g.h&^1, 2)
}

// geometry is a resize: the scaled size and, for crop, the box cut from its
// centre.
type geometry struct {
	w, h         int // after scaling
	cropW, cropH int // 0 = no crop
}

// fitBox works out the output size for a box and fit mode, as imagego does
// for images: max fits inside and never enlarges, scale stretches, crop
// fills the box and cuts off the overflow. With one side given every mode
// keeps the ratio.
func fitBox(w, h, bw, bh int, fit string) geometry {
	g := geometry{w: w, h: h}
	W, H, sw, sh := int64(bw), int64(bh), int64(w), int64(h)
	switch {
	case sw <= 0 || sh <= 0 || (W == 0 && H == 0):
	case H == 0:
		if fit != fitMax || W < sw {
			g.w, g.h = bw, ratio(sh, W, sw)
		}
	case W == 0:
		if fit != fitMax || H < sh {
			g.w, g.h = ratio(sw, H, sh), bh
		}
	case fit == fitScale:
		g.w, g.h = bw, bh
	case fit == fitCrop:
		// Scale to cover the box, then cut the box from the centre.
		if sw*H > sh*W {
			g.w, g.h = max(ratio(sw, H, sh), bw), bh
		} else {
			g.w, g.h = bw, max(ratio(sh, W, sw), bh)
		}
		g.cropW, g.cropH = bw, bh
	default:
		if W >= sw && H >= sh {
			break
		}
		if W*sh <= H*sw {
			g.w, g.h = bw, ratio(sh, W, sw)
		} else {
			g.w, g.h = ratio(sw, H, sh), bh
		}
	}
	return g
}

// filter is the ffmpeg filter chain for g; it is built from integers only.
func (g geometry) filter() string {
	f := fmt.Sprintf("scale=%d:%d,setsar=1", g.w, g.h)
	if g.cropW > 0 {
		f += fmt.Sprintf(",crop=%d:%d", g.cropW, g.cropH)
	}
	return f
}

// ratio returns round(a*b/c), at least 1.
func ratio(a, b, c int64) int {
	return int(max((2*a*b+c)/(2*c), 1))
}
