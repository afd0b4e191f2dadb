// Command gateway is the signed-URL gateway. main only picks the subcommand;
// each lives in its own file.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: gateway [command]

commands:
  serve     run the gateway (the default)
  worker    run conversion jobs from the shared queue (gateway worker --help)
  sign      sign a URL, token or upload (gateway sign --help)
  healthcheck  exit 0 when the local gateway answers /healthz
  version   print the version
  help      print this help

Configuration comes from GATEWAY_* environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

// run executes one subcommand and returns the process exit code.
func run(ctx context.Context, args []string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args)
	case "worker":
		return runWorker(ctx, args)
	case "healthcheck":
		return runHealthcheck(args)
	case "sign":
		return runSign(args)
	case "version", "--version", "-v":
		return runVersion(args)
	case "help", "--help", "-h":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "gateway: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
