package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/app"
)

const serveUsage = `usage: gateway serve

Runs the gateway: the admin API, signed conversion URLs, bucket delivery and
signed uploads on GATEWAY_ADDR. It takes no flags: its configuration is read
from GATEWAY_* environment variables (see README.md), every bad value
reported at start. Without GATEWAY_REDIS_URL it keeps everything in
GATEWAY_DATA_DIR and generates an admin token there. SIGINT or SIGTERM stop
it gracefully within GATEWAY_SHUTDOWN_TIMEOUT.
`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("gateway serve", serveUsage, stdout, stderr)
	if code, ok := c.parse(args); !ok {
		return code
	}
	if code, ok := c.noArgs(); !ok {
		return code
	}
	return runApp(ctx, "gateway")
}

// runApp loads the configuration, builds the instance with opts and runs
// it until ctx ends; name is what its last log line calls it.
func runApp(ctx context.Context, name string, opts ...app.Option) int {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		return 2
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	a, err := app.New(ctx, cfg, log, opts...)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	defer a.Close()
	if err := a.Run(ctx); err != nil {
		log.Error(name+" stopped", "err", err)
		return 1
	}
	log.Info(name + " stopped")
	return 0
}

func newLogger(cfg config.Config) *slog.Logger {
	level, _ := config.ParseLogLevel(cfg.LogLevel) // validated by Load
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
