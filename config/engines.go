package config

import "time"

// Engines configures the conversion engines that run external programs
// (GATEWAY_ENGINES_<ENGINE>_*), one field an engine.
type Engines struct {
	Office OfficeEngine `envPrefix:"OFFICE_"`
	Chrome ChromeEngine `envPrefix:"CHROME_"`
	FFmpeg FFmpegEngine `envPrefix:"FFMPEG_"`
	PDF    PDFEngine    `envPrefix:"PDF_"`
	Vips   VipsEngine   `envPrefix:"VIPS_"`
}

// ChromeEngine configures the Chromium HTML-to-PDF engine
// (GATEWAY_ENGINES_CHROME_*).
type ChromeEngine struct {
	// Chromium is the browser, a path or a name looked up in PATH.
	Chromium string `env:"CHROMIUM" envDefault:"chromium"`
	// Tabs is the number of pages rendered at once; 0 means one per CPU.
	Tabs int `env:"TABS" envDefault:"0"`
	// Timeout is the longest one conversion may take.
	Timeout time.Duration `env:"TIMEOUT" envDefault:"60s"`
	// WorkDir holds the browser profile; empty means the system temporary
	// directory.
	WorkDir string `env:"WORK_DIR"`
	// Sandbox keeps Chromium's own sandbox on. It needs user namespaces,
	// which Docker's default seccomp profile refuses to a non-root
	// process: the Docker image sets it to false (see Dockerfile). As
	// root Chromium runs without it whatever this says.
	Sandbox bool `env:"SANDBOX" envDefault:"true"`
}

// OfficeEngine configures the LibreOffice documents engine
// (GATEWAY_ENGINES_OFFICE_*).
type OfficeEngine struct {
	// Soffice is the soffice program, a path or a name looked up in PATH.
	Soffice string `env:"SOFFICE" envDefault:"soffice"`
	// Python is the interpreter with the uno module (python3-uno).
	Python string `env:"PYTHON" envDefault:"/usr/bin/python3"`
	// Slots is the number of warm soffice processes; 0 means one per CPU.
	Slots int `env:"SLOTS" envDefault:"0"`
	// MaxJobs restarts a process after that many conversions.
	MaxJobs int `env:"MAX_JOBS" envDefault:"200"`
	// MaxRSSMB restarts a process whose resident memory exceeds it, in MiB.
	MaxRSSMB int `env:"MAX_RSS_MB" envDefault:"1024"`
	// Timeout is the longest one conversion may take; a task's timeout
	// option can only shorten it.
	Timeout time.Duration `env:"TIMEOUT" envDefault:"60s"`
	// StartTimeout bounds the start of one process.
	StartTimeout time.Duration `env:"START_TIMEOUT" envDefault:"60s"`
	// WorkDir holds the processes' profiles; empty means the system
	// temporary directory.
	WorkDir string `env:"WORK_DIR"`
}

func (e Engines) validate(bad func(name, format string, args ...any)) {
	e.Office.validate(bad)
	e.Chrome.validate(bad)
	e.FFmpeg.validate(bad)
	e.PDF.validate(bad)
	e.Vips.validate(bad)
}

func (o OfficeEngine) validate(bad func(name, format string, args ...any)) {
	if o.Soffice == "" {
		bad("ENGINES_OFFICE_SOFFICE", "must not be empty")
	}
	if o.Python == "" {
		bad("ENGINES_OFFICE_PYTHON", "must not be empty")
	}
	if o.Slots < 0 || o.Slots > 256 {
		bad("ENGINES_OFFICE_SLOTS", "must be between 0 (one per CPU) and 256")
	}
	if o.MaxJobs < 1 {
		bad("ENGINES_OFFICE_MAX_JOBS", "must be at least 1")
	}
	if o.MaxRSSMB < 64 {
		bad("ENGINES_OFFICE_MAX_RSS_MB", "must be at least 64")
	}
	if o.Timeout <= 0 {
		bad("ENGINES_OFFICE_TIMEOUT", "must be a positive duration such as 60s")
	}
	if o.StartTimeout <= 0 {
		bad("ENGINES_OFFICE_START_TIMEOUT", "must be a positive duration such as 60s")
	}
}

func (c ChromeEngine) validate(bad func(name, format string, args ...any)) {
	if c.Tabs < 0 || c.Tabs > 256 {
		bad("ENGINES_CHROME_TABS", "must be between 0 (one per CPU) and 256")
	}
	if c.Timeout <= 0 {
		bad("ENGINES_CHROME_TIMEOUT", "must be a positive duration such as 60s")
	}
}
