package config

import "time"

// VipsEngine configures the libvips image engine.
type VipsEngine struct {
	// Dir holds the vips and vipsheader programs; empty means PATH.
	Dir string `env:"DIR"`
	// MaxPixels refuses larger inputs and outputs (TOO_LARGE), read from
	// the header before anything is decoded.
	MaxPixels int `env:"MAX_PIXELS" envDefault:"40000000"`
	// MaxSide bounds the width and the height.
	MaxSide int `env:"MAX_SIDE" envDefault:"16384"`
	// Timeout is the longest one vips run may take.
	Timeout time.Duration `env:"TIMEOUT" envDefault:"2m"`
}

func (c VipsEngine) validate(bad func(name, format string, args ...any)) {
	if c.MaxPixels < 64*64 {
		bad("ENGINES_VIPS_MAX_PIXELS", "must be at least 4096")
	}
	if c.MaxSide < 64 {
		bad("ENGINES_VIPS_MAX_SIDE", "must be at least 64")
	}
	if c.Timeout <= 0 {
		bad("ENGINES_VIPS_TIMEOUT", "must be a positive duration such as 2m")
	}
}
