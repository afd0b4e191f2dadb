package office

import (
	"log/slog"

	"github.com/signedgate/gateway/config"
)

// FromConfig maps the GATEWAY_ENGINES_OFFICE_* settings to a Config.
func FromConfig(c config.OfficeEngine, log *slog.Logger) Config {
	return Config{
		SofficePath:  c.Soffice,
		PythonPath:   c.Python,
		Slots:        c.Slots,
		MaxJobs:      c.MaxJobs,
		MaxRSS:       int64(c.MaxRSSMB) << 20,
		Timeout:      c.Timeout,
		StartTimeout: c.StartTimeout,
		WorkDir:      c.WorkDir,
		Logger:       log,
	}
}
