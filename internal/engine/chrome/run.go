package chrome

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"

	"github.com/signedgate/gateway/internal/engine"
)

// maxHTML bounds the page read into memory and handed to the browser.
const maxHTML = 32 << 20

// Run prints each HTML input to a PDF or photographs it to a PNG or JPG,
// or captures a website (see capture). PDF options: pages ("1-3,5"),
// print_background (default true), landscape, page_width and page_height
// (cm), margin_top/bottom/left/right (mm). Image options:
// screenshot_width or width, screenshot_height or height (pixels; absent:
// the full page), quality (jpg). Both: timeout, filename.
func (e *Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	req.Report(0)
	in, out := engine.NormalizeFormat(req.InputFormat), engine.NormalizeFormat(req.OutputFormat)
	if in == "" && len(req.Inputs) > 0 {
		in = engine.FormatOf(req.Inputs[0].Name)
	}
	if out != "pdf" && out != "png" && out != "jpg" {
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s produces only pdf, png and jpg", Name)
	}
	o, timeout, err := e.outputParams(out, req.Options)
	if err != nil {
		return engine.Result{}, err
	}
	switch {
	case req.Operation == OpCapture:
		return e.capture(ctx, req, o, timeout)
	case req.Operation != "convert" || in != "html":
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s converts only html and captures websites", Name)
	}
	if len(req.Inputs) == 0 {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "the task has no input file")
	}
	if err := e.Start(ctx); err != nil {
		return engine.Result{}, engine.Wrap(engine.CodeConversionFailed, err, "the chromium engine could not be started")
	}
	var res engine.Result
	for i, input := range req.Inputs {
		f, err := e.convertOne(ctx, req, input, o, timeout)
		if err != nil {
			for _, done := range res.Files {
				os.Remove(done.Path)
			}
			return engine.Result{}, err
		}
		res.Files = append(res.Files, f)
		req.Report((i + 1) * 100 / len(req.Inputs))
	}
	req.Report(100)
	return res, nil
}

// outputParams reads the options of the output format and the timeout.
func (e *Engine) outputParams(format string, opts engine.Options) (output, time.Duration, error) {
	o := output{format: format}
	var err error
	if format == "pdf" {
		o.print, err = printParams(opts)
	} else {
		o, err = imageOutput(format, opts)
	}
	if err != nil {
		return o, 0, err
	}
	timeout := e.cfg.Timeout
	secs, err := opts.Float("timeout")
	if err != nil {
		return o, 0, err
	}
	if secs < 0 {
		return o, 0, engine.Errorf(engine.CodeInvalidInput, "option timeout must be a positive number of seconds")
	}
	if d := time.Duration(secs * float64(time.Second)); d > 0 && d < timeout {
		timeout = d
	}
	return o, timeout, nil
}

func printParams(opts engine.Options) (*page.PrintToPDFParams, error) {
	p := page.PrintToPDF().WithPreferCSSPageSize(true)
	p, err := pageGeometry(p, opts)
	if err != nil {
		return nil, err
	}
	bg := true
	if opts.Has("print_background") {
		v, err := opts.Bool("print_background")
		if err != nil {
			return nil, err
		}
		bg = v
	}
	p = p.WithPrintBackground(bg)
	land, err := opts.Bool("landscape")
	if err != nil {
		return nil, err
	}
	p = p.WithLandscape(land)
	pages, err := opts.String("pages")
	if err != nil {
		return nil, err
	}
	if opts.Has("pages") {
		if !validPages(pages) {
			return nil, engine.Errorf(engine.CodeInvalidInput, "option pages must be page numbers and ranges such as 1-3,5")
		}
		p = p.WithPageRanges(strings.ReplaceAll(pages, " ", ""))
	}
	return p, nil
}

// pageGeometry reads page_width and page_height (cm) and the margins (mm),
// as CloudConvert names them; Chromium wants inches. The values go into
// p's fields: cdproto's With* setters return a changed copy and leave p
// as it was.
func pageGeometry(p *page.PrintToPDFParams, opts engine.Options) (*page.PrintToPDFParams, error) {
	read := func(key string, lo, hi, perInch float64) (float64, bool, error) {
		if !opts.Has(key) {
			return 0, false, nil
		}
		v, err := opts.Float(key)
		if err != nil {
			return 0, false, err
		}
		if v < lo || v > hi {
			return 0, false, engine.Errorf(engine.CodeInvalidInput, "option %s must be between %g and %g", key, lo, hi)
		}
		return v / perInch, true, nil
	}
	for _, f := range []struct {
		key     string
		lo, hi  float64
		perInch float64
		field   *float64
	}{
		{"page_width", 1, 500, 2.54, &p.PaperWidth},
		{"page_height", 1, 500, 2.54, &p.PaperHeight},
		{"margin_top", 0, 1000, 25.4, &p.MarginTop},
		{"margin_bottom", 0, 1000, 25.4, &p.MarginBottom},
		{"margin_left", 0, 1000, 25.4, &p.MarginLeft},
		{"margin_right", 0, 1000, 25.4, &p.MarginRight},
	} {
		v, ok, err := read(f.key, f.lo, f.hi, f.perInch)
		if err != nil {
			return nil, err
		}
		if ok {
			*f.field = v
			if f.key == "page_width" || f.key == "page_height" {
				// An explicit size beats the page's CSS @page size.
				p.PreferCSSPageSize = false
			}
		}
	}
	return p, nil
}

// validPages accepts what Chromium's pageRanges accepts: "1-5, 8, 11-13".
func validPages(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if s == "" || len(s) > 200 {
		return false
	}
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		if !digits(a) || (isRange && b != "" && !digits(b)) {
			return false
		}
	}
	return true
}

func digits(s string) bool {
	return s != "" && len(s) <= 6 && strings.Trim(s, "0123456789") == "" && strings.TrimLeft(s, "0") != ""
}

func (e *Engine) convertOne(ctx context.Context, req engine.Request, input engine.File, o output, timeout time.Duration) (engine.File, error) {
	st, err := os.Stat(input.Path)
	if err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not read the input file")
	}
	if st.Size() > maxHTML {
		return engine.File{}, engine.Errorf(engine.CodeTooLarge, "the HTML file is larger than %d MiB", maxHTML>>20)
	}
	html, err := os.ReadFile(input.Path)
	if err != nil {
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not read the input file")
	}
	kind := staticTab
	if mayRunScript(html) {
		kind = freshTab
	}
	var out []byte
	err = e.withTab(ctx, "rendering the page", kind, func(s *session, t *tab) error {
		req.Report(10)
		var err error
		out, err = e.render(ctx, s, t, html, o, timeout)
		return err
	})
	if err != nil {
		return engine.File{}, err
	}
	req.Report(90)
	name, err := engine.OutputName(input, req.Options, o.format)
	if err != nil {
		return engine.File{}, err
	}
	return writeOutput(req.WorkDir, name, out)
}

func writeOutput(dir, name string, pdf []byte) (engine.File, error) {
	f, file, err := engine.CreateOutput(dir, name)
	if err != nil {
		return engine.File{}, err
	}
	if _, err := f.Write(pdf); err != nil {
		f.Close()
		os.Remove(file.Path)
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not write the output file")
	}
	if err := f.Close(); err != nil {
		os.Remove(file.Path)
		return engine.File{}, engine.Wrap(engine.CodeConversionFailed, err, "could not write the output file")
	}
	return file, nil
}

// render runs one try of a conversion on tab t of session s, and gives the
// tab back or replaces it.
func (e *Engine) render(ctx context.Context, s *session, t *tab, html []byte, o output, timeout time.Duration) ([]byte, error) {
	// chromedp needs the tab's context; the caller's ends it too.
	jobCtx, cancel := context.WithTimeout(t.ctx, timeout)
	stop := context.AfterFunc(ctx, cancel)
	out, err := t.render(jobCtx, html, o)
	stop()
	cancel()
	if err == nil && t.static {
		s.put(t)
		return out, nil
	}
	// A fresh tab goes with its context and all the page left in them, and
	// so does a tab whose job failed (a page that timed out may still run);
	// a new tab takes its place in the background.
	go s.replaceTab(t, e)
	if err == nil {
		return out, nil
	}
	pageRange := strings.Contains(err.Error(), "Page range") || strings.Contains(err.Error(), "page range")
	timedOut := errors.Is(err, context.DeadlineExceeded)
	crashed := ctx.Err() == nil && !timedOut && !pageRange && s.lost(time.Second)
	switch {
	case ctx.Err() != nil:
		return nil, engine.ContextError(ctx)
	case timedOut:
		return nil, engine.Wrap(engine.CodeTimeout, err, fmt.Sprintf("the conversion took longer than %s", timeout))
	case pageRange:
		return nil, engine.Wrap(engine.CodeInvalidInput, err, "the requested pages are out of range")
	case crashed:
		return nil, fmt.Errorf("%w: %w", errCrashed, err)
	default:
		return nil, engine.Wrap(engine.CodeConversionFailed, err, "chromium could not print the page")
	}
}
