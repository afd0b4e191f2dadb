package vips

import "github.com/signedgate/gateway/config"

// FromConfig maps the GATEWAY_ENGINES_VIPS_* settings to a Config.
func FromConfig(c config.VipsEngine) Config {
	return Config{Dir: c.Dir, MaxPixels: c.MaxPixels, MaxSide: c.MaxSide, Timeout: c.Timeout}
}
