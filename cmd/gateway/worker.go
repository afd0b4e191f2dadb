package main

import (
	"context"
	"fmt"
	"os"

	"github.com/signedgate/gateway/internal/app"
)

// runWorker runs a worker: jobs from the shared queue (GATEWAY_REDIS_URL)
// with the engines of this machine, and /healthz, /readyz and /metrics on
// GATEWAY_ADDR. On SIGTERM it stops taking jobs and gives the running ones
// GATEWAY_SHUTDOWN_TIMEOUT to finish before handing them back.
func runWorker(ctx context.Context, args []string) int {
	if len(args) > 0 {
		if args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
			fmt.Print(workerUsage)
			return 0
		}
		fmt.Fprintf(os.Stderr, "gateway worker takes no arguments (configuration is read from GATEWAY_* variables)\n\n%s", workerUsage)
		return 2
	}
	return runApp(ctx, "gateway worker", app.AsWorker())
}

const workerUsage = `usage: gateway worker

Runs conversion jobs from the shared queue with the engines of this machine.
Needs GATEWAY_REDIS_URL (the queue) and the same GATEWAY_ADMIN_TOKEN,
GATEWAY_JOBS_OUTPUT_URL and GATEWAY_PUBLIC_URL as the edges. Serves /healthz,
/readyz and /metrics on GATEWAY_ADDR. GATEWAY_JOBS_WORKERS jobs run at once
(one per CPU by default).
`
