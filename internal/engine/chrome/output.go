package chrome

import (
	"context"
	"math"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"

	"github.com/signedgate/gateway/internal/engine"
)

// Screenshot limits: a full-page capture of an endless page stops at
// maxShotHeight, and no image exceeds maxShotPixels.
const (
	defaultShotWidth = 1280
	maxShotWidth     = 8000
	maxShotHeight    = 16384
	maxShotPixels    = 64 << 20
	shotViewport     = 800 // viewport height while laying out a full-page capture
)

// output says what a tab produces from a loaded page.
type output struct {
	format  string // pdf, png or jpg
	print   *page.PrintToPDFParams
	width   int // screenshot width in CSS pixels
	height  int // 0: the full page
	quality int // jpg only
}

// imageOutput reads screenshot_width (or width), screenshot_height (or
// height) and quality.
func imageOutput(format string, opts engine.Options) (output, error) {
	o := output{format: format, width: defaultShotWidth, quality: 85}
	for _, key := range []string{"screenshot_width", "width"} {
		if !opts.Has(key) {
			continue
		}
		w, err := opts.Int(key)
		if err != nil {
			return o, err
		}
		if w < 1 || w > maxShotWidth {
			return o, engine.Errorf(engine.CodeInvalidInput, "option %s must be between 1 and %d pixels", key, maxShotWidth)
		}
		o.width = w
		break
	}
	for _, key := range []string{"screenshot_height", "height"} {
		if !opts.Has(key) {
			continue
		}
		h, err := opts.Int(key)
		if err != nil {
			return o, err
		}
		if h < 1 || h > maxShotHeight {
			return o, engine.Errorf(engine.CodeInvalidInput, "option %s must be between 1 and %d pixels", key, maxShotHeight)
		}
		o.height = h
		break
	}
	if opts.Has("quality") {
		q, err := opts.Int("quality")
		if err != nil {
			return o, err
		}
		if q < 1 || q > 100 {
			return o, engine.Errorf(engine.CodeInvalidInput, "option quality must be between 1 and 100")
		}
		o.quality = q
	}
	return o, nil
}

// prepare sizes the viewport before the page loads, so it lays out at the
// requested width.
func (o output) prepare(ctx context.Context) error {
	if o.format == "pdf" {
		return nil
	}
	h := o.height
	if h == 0 {
		h = shotViewport
	}
	return emulation.SetDeviceMetricsOverride(int64(o.width), int64(h), 1, false).Do(ctx)
}

// produce prints or photographs the loaded page.
func (o output) produce(ctx context.Context) ([]byte, error) {
	if o.format == "pdf" {
		b, _, err := o.print.Do(ctx)
		return b, err
	}
	h := o.height
	if h == 0 {
		_, _, _, _, _, css, err := page.GetLayoutMetrics().Do(ctx)
		if err != nil {
			return nil, err
		}
		h = int(math.Ceil(css.Height))
	}
	h = max(1, min(h, maxShotHeight, maxShotPixels/o.width))
	shot := page.CaptureScreenshot().
		WithClip(&page.Viewport{Width: float64(o.width), Height: float64(h), Scale: 1}).
		WithCaptureBeyondViewport(true)
	if o.format == "jpg" {
		shot = shot.WithFormat(page.CaptureScreenshotFormatJpeg).WithQuality(int64(o.quality))
	} else {
		shot = shot.WithFormat(page.CaptureScreenshotFormatPng)
	}
	return shot.Do(ctx)
}
