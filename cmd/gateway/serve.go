package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/app"
)

func runServe(ctx context.Context, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(os.Stderr, "gateway serve takes no arguments (configuration is read from GATEWAY_* variables)\n")
		return 2
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
