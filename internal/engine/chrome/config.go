package chrome

import (
	"log/slog"

	"github.com/signedgate/gateway/config"
)

// FromConfig maps the GATEWAY_ENGINES_CHROME_* settings to a Config.
func FromConfig(c config.ChromeEngine, log *slog.Logger) Config {
	return Config{ChromiumPath: c.Chromium, Tabs: c.Tabs, Timeout: c.Timeout, WorkDir: c.WorkDir,
		NoSandbox: !c.Sandbox, Logger: log}
}
