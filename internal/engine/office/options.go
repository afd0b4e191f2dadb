package office

import (
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// jobOptions are the task options the engine understands, checked.
type jobOptions struct {
	timeout time.Duration // 0: the engine's default
	req     request       // the filter-related fields of the helper request
}

// parseOptions checks the task's options for a conversion from in to out
// and turns them into helper request fields. Options that do not apply to
// the conversion (pages for a docx output) are refused rather than ignored,
// so that a client learns its option had no effect.
func parseOptions(in, out string, opts engine.Options) (jobOptions, error) {
	var jo jobOptions
	inf, outf := inputs[in], outputs[out]
	jo.req.ImportFilter, jo.req.ImportOptions = inf.filter, inf.options
	if out == "pdf" {
		jo.req.PDF = true
	} else {
		jo.req.ExportFilter, jo.req.ExportOptions = outf.filter, outf.options
		jo.req.Families = []string{outf.family}
	}
	fd := map[string]any{}

	secs, err := opts.Float("timeout")
	if err != nil {
		return jo, err
	}
	if secs < 0 || secs > 24*3600 {
		return jo, engine.Errorf(engine.CodeInvalidInput, "option timeout must be a number of seconds between 0 and 86400")
	}
	jo.timeout = time.Duration(secs * float64(time.Second))

	pdfOnly := func(key string) error {
		if out != "pdf" && opts.Has(key) {
			return engine.Errorf(engine.CodeInvalidInput, "option %s applies only to PDF output", key)
		}
		return nil
	}
	for _, key := range []string{"pages", "pdf_a", "quality", "hidden_slides"} {
		if err := pdfOnly(key); err != nil {
			return jo, err
		}
	}

	if pages, err := opts.String("pages"); err != nil {
		return jo, err
	} else if opts.Has("pages") {
		ranges, perr := parsePages(pages)
		if perr != nil {
			return jo, engine.Errorf(engine.CodeInvalidInput, "option pages %s", perr)
		}
		jo.req.Pages = ranges
	}
	if pdfa, err := opts.Bool("pdf_a"); err != nil {
		return jo, err
	} else if pdfa {
		fd["SelectPdfVersion"] = 2 // PDF/A-2b
	}
	if opts.Has("quality") {
		q, err := opts.Int("quality")
		if err != nil || q < 1 || q > 100 {
			return jo, engine.Errorf(engine.CodeInvalidInput, "option quality must be an integer from 1 to 100")
		}
		fd["Quality"] = q
		fd["UseLosslessCompression"] = false
	}
	if hidden, err := opts.Bool("hidden_slides"); err != nil {
		return jo, err
	} else if hidden {
		if inf.family != impress {
			return jo, engine.Errorf(engine.CodeInvalidInput, "option hidden_slides applies only to presentations")
		}
		fd["ExportHiddenSlides"] = true
	}

	if pw, err := opts.String("password"); err != nil {
		return jo, err
	} else {
		jo.req.Password = pw
	}

	if opts.Has("delimiter") {
		d, err := opts.String("delimiter")
		if err != nil {
			return jo, err
		}
		if d == `\t` || d == "tab" {
			d = "\t"
		}
		if len(d) != 1 || d[0] == '"' || (d[0] < ' ' && d[0] != '\t') || d[0] > '~' {
			return jo, engine.Errorf(engine.CodeInvalidInput, `option delimiter must be one ASCII character other than '"', or "tab"`)
		}
		switch {
		case in == "csv":
			jo.req.ImportOptions = csvOptions(d[0])
		case out == "csv":
			jo.req.ExportOptions = csvOptions(d[0])
		default:
			return jo, engine.Errorf(engine.CodeInvalidInput, "option delimiter applies only to CSV input or output")
		}
		if in == "csv" && out == "csv" {
			jo.req.ExportOptions = csvOptions(d[0])
		}
	}
	if len(fd) > 0 {
		jo.req.FilterData = fd
	}
	return jo, nil
}
