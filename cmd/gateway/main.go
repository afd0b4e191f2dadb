// Command gateway is the signed-URL gateway. main only picks the subcommand;
// each lives in its own file and parses its own arguments with a command
// (command.go), so that every one answers --help and bad flags alike.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: gateway [command] [flags]

commands:
  serve        run the gateway (the default)
  worker       run conversion jobs from the shared queue
  sign         sign a URL, token or upload
  healthcheck  exit 0 when the local gateway answers /healthz
  version      print the version and the revision it was built from
  help         print this help, or a command's: gateway help sign jwt

Every command answers --help. Configuration comes from GATEWAY_*
environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "worker":
		return runWorker(ctx, args, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(args, stdout, stderr)
	case "sign":
		return runSign(args, stdout, stderr)
	case "version", "--version", "-version", "-v":
		return runVersion(args, stdout, stderr)
	case "help", "--help", "-help", "-h":
		return runHelp(ctx, args, stdout, stderr)
	}
	if strings.HasPrefix(cmd, "-") {
		fmt.Fprintf(stderr, "gateway: flag provided but not defined: %s (flags go after the command)\n\n%s", cmd, usage)
	} else {
		fmt.Fprintf(stderr, "gateway: unknown command %q\n\n%s", cmd, usage)
	}
	return 2
}

// runHelp prints the usage, or with a command's name that command's, as
// its --help would.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCommand("gateway help", "usage: gateway help [command [subcommand]]\n\nPrints the usage of gateway, or of a command.\n", stdout, stderr)
	if code, ok := c.parse(args); !ok {
		return code
	}
	if c.NArg() == 0 {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch c.Arg(0) {
	case "help":
		c.printUsage(stdout)
		return 0
	case "serve", "worker", "healthcheck", "sign", "version":
	default:
		return c.fail("unknown command %q", c.Arg(0))
	}
	return run(ctx, append(c.Args(), "--help"), stdout, stderr)
}
