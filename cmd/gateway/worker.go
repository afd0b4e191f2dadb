package main

import (
	"context"
	"io"

	"github.com/signedgate/gateway/internal/app"
)

// runWorker runs a worker: jobs from the shared queue (GATEWAY_REDIS_URL)
// with the engines of this machine, and /healthz, /readyz and /metrics on
// GATEWAY_ADDR. On SIGTERM it stops taking jobs and gives the running ones
// GATEWAY_SHUTDOWN_TIMEOUT to finish before handing them back.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("gateway worker", workerUsage, stdout, stderr)
	if code, ok := c.parse(args); !ok {
		return code
	}
	if code, ok := c.noArgs(); !ok {
		return code
	}
	return runApp(ctx, "gateway worker", app.AsWorker())
}

const workerUsage = `usage: gateway worker

Runs conversion jobs from the shared queue with the engines of this machine.
It takes no flags: like serve, it reads GATEWAY_* environment variables.
Needs GATEWAY_REDIS_URL (the queue), an admin token as the edges have one,
and the same GATEWAY_JOBS_OUTPUT_URL and GATEWAY_PUBLIC_URL as the edges.
Serves /healthz, /readyz and /metrics on GATEWAY_ADDR. GATEWAY_JOBS_WORKERS
jobs run at once (one per CPU by default).
`
