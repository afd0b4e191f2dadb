// Package media is the audio and video engine: it converts between video
// containers (mp4, webm, mov, mkv) and audio formats (mp3, wav, ogg, aac,
// m4a), extracts the sound of a video, and takes thumbnails of a video, all
// with ffmpeg. It owns the mapping of formats and task options to ffmpeg
// arguments (every option is checked against an allow-list, so no user
// string ever reaches ffmpeg as a flag), the probing of inputs with ffprobe
// and the duration and frame-size limits, and the supervision of the ffmpeg
// processes (own process group, killed when the task's context ends).
package media

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// Name is the engine's name, reported as a task's "engine".
const Name = "ffmpeg"

// Package is the Debian package that provides ffmpeg and ffprobe.
const Package = "ffmpeg"

// Default limits. Two hours covers films; 8192x4320 covers 8K video while
// refusing the absurd frame sizes a crafted header can claim.
const (
	DefaultMaxDuration = 2 * time.Hour
	DefaultMaxPixels   = 8192 * 4320
	DefaultTimeout     = 10 * time.Minute
)

// Config configures the engine; zero values mean the defaults.
type Config struct {
	// FFmpegPath and FFprobePath are the programs, paths or names looked up
	// in PATH (default "ffmpeg" and "ffprobe").
	FFmpegPath, FFprobePath string
	// MaxDuration refuses longer inputs with TOO_LARGE.
	MaxDuration time.Duration
	// MaxPixels refuses inputs whose frames have more pixels with TOO_LARGE;
	// it also bounds the width*height a task may ask for.
	MaxPixels int
	// Timeout is the longest one task may take; the job's own deadline
	// (the task context) can only shorten it.
	Timeout time.Duration
}

// Engine implements engine.Engine. It keeps no processes between tasks and is
// safe for concurrent use.
type Engine struct {
	cfg     Config
	ffmpeg  string
	ffprobe string
	version string
}

var _ engine.Engine = (*Engine)(nil)

// ErrNotInstalled is wrapped by New's error when ffmpeg or ffprobe is
// missing; register the engine as unavailable then.
var ErrNotInstalled = errors.New("ffmpeg is not installed")

// New finds ffmpeg and ffprobe and returns the engine.
func New(cfg Config) (*Engine, error) {
	if cfg.FFmpegPath == "" {
		cfg.FFmpegPath = "ffmpeg"
	}
	if cfg.FFprobePath == "" {
		cfg.FFprobePath = "ffprobe"
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	ffmpeg, err := exec.LookPath(cfg.FFmpegPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (Debian package %s)", ErrNotInstalled, err, Package)
	}
	ffprobe, err := exec.LookPath(cfg.FFprobePath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (Debian package %s)", ErrNotInstalled, err, Package)
	}
	return &Engine{cfg: cfg, ffmpeg: ffmpeg, ffprobe: ffprobe, version: engine.ProgramVersion(engine.VersionWord, ffmpeg, "-hide_banner", "-version")}, nil
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return Name }

// Version is ffmpeg's version.
func (e *Engine) Version() string { return e.version }

// Conversions implements engine.Engine; see the package-level Conversions.
func (e *Engine) Conversions() []engine.Conversion { return Conversions() }

// Conversions lists what the engine does, for registering it as unavailable
// when ffmpeg is missing: convert between every video format, from every
// video or audio format to every audio format, and thumbnail of every video
// format to png, jpg and webp.
func Conversions() []engine.Conversion {
	var cs []engine.Conversion
	for _, in := range videoFormats {
		for _, out := range videoFormats {
			cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: out})
		}
		for _, out := range audioFormats {
			cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: out})
		}
		for _, out := range thumbFormats {
			cs = append(cs, engine.Conversion{Operation: "thumbnail", Input: in, Output: out})
		}
	}
	for _, in := range audioFormats {
		for _, out := range audioFormats {
			cs = append(cs, engine.Conversion{Operation: "convert", Input: in, Output: out})
		}
	}
	return cs
}
