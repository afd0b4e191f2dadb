package pdfengine

import "github.com/signedgate/gateway/config"

// FromConfig maps the GATEWAY_ENGINES_PDF_* settings to a Config.
func FromConfig(c config.PDFEngine) Config {
	return Config{
		MaxPixels:      c.MaxPixels,
		MaxPages:       c.MaxPages,
		MaxRenderPages: c.MaxRenderPages,
		Timeout:        c.Timeout,
	}
}
