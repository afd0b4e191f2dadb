package config

import "time"

// FFmpegEngine configures the audio and video engine.
type FFmpegEngine struct {
	// Bin and ProbeBin are ffmpeg and ffprobe, paths or names looked up in
	// PATH.
	Bin      string `env:"BIN" envDefault:"ffmpeg"`
	ProbeBin string `env:"PROBE_BIN" envDefault:"ffprobe"`
	// MaxDuration refuses longer inputs (TOO_LARGE).
	MaxDuration time.Duration `env:"MAX_DURATION" envDefault:"2h"`
	// MaxPixels refuses inputs whose frames are larger (TOO_LARGE); the
	// default is 8192x4320.
	MaxPixels int `env:"MAX_PIXELS" envDefault:"35389440"`
	// Timeout is the longest one ffmpeg run may take.
	Timeout time.Duration `env:"TIMEOUT" envDefault:"10m"`
}

// PDFEngine configures the PDF engine (qpdf and poppler).
type PDFEngine struct {
	// MaxPixels bounds one rendered page.
	MaxPixels int `env:"MAX_PIXELS" envDefault:"40000000"`
	// MaxPages bounds the pages of an input and of a merged PDF.
	MaxPages int `env:"MAX_PAGES" envDefault:"5000"`
	// MaxRenderPages bounds the pages one convert task renders to images.
	MaxRenderPages int `env:"MAX_RENDER_PAGES" envDefault:"50"`
	// Timeout is the longest one program run may take.
	Timeout time.Duration `env:"TIMEOUT" envDefault:"2m"`
}

func (f FFmpegEngine) validate(bad func(name, format string, args ...any)) {
	if f.Bin == "" {
		bad("ENGINES_FFMPEG_BIN", "must not be empty")
	}
	if f.ProbeBin == "" {
		bad("ENGINES_FFMPEG_PROBE_BIN", "must not be empty")
	}
	if f.MaxDuration <= 0 {
		bad("ENGINES_FFMPEG_MAX_DURATION", "must be a positive duration such as 2h")
	}
	if f.MaxPixels < 64*64 {
		bad("ENGINES_FFMPEG_MAX_PIXELS", "must be at least 4096")
	}
	if f.Timeout <= 0 {
		bad("ENGINES_FFMPEG_TIMEOUT", "must be a positive duration such as 10m")
	}
}

func (p PDFEngine) validate(bad func(name, format string, args ...any)) {
	if p.MaxPixels < 64*64 {
		bad("ENGINES_PDF_MAX_PIXELS", "must be at least 4096")
	}
	if p.MaxPages < 2 {
		bad("ENGINES_PDF_MAX_PAGES", "must be at least 2")
	}
	if p.MaxRenderPages < 1 {
		bad("ENGINES_PDF_MAX_RENDER_PAGES", "must be at least 1")
	}
	if p.Timeout <= 0 {
		bad("ENGINES_PDF_TIMEOUT", "must be a positive duration such as 2m")
	}
}
