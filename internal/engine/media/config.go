package media

import "github.com/signedgate/gateway/config"

// FromConfig maps the GATEWAY_ENGINES_FFMPEG_* settings to a Config.
func FromConfig(c config.FFmpegEngine) Config {
	return Config{
		FFmpegPath:  c.Bin,
		FFprobePath: c.ProbeBin,
		MaxDuration: c.MaxDuration,
		MaxPixels:   c.MaxPixels,
		Timeout:     c.Timeout,
	}
}
