package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/signedgate/gateway/config"
)

const healthcheckUsage = `usage: gateway healthcheck

Asks the gateway on this machine for /healthz, at the port of GATEWAY_ADDR,
and exits 0 when it answers 200, 1 otherwise: a container health check for
images that have no curl.
`

// runHealthcheck asks the local gateway's /healthz, for container health
// checks in images that have no curl.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	c := newCommand("gateway healthcheck", healthcheckUsage, stdout, stderr)
	if code, ok := c.parse(args); !ok {
		return code
	}
	if code, ok := c.noArgs(); !ok {
		return code
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(stderr, "gateway:", err)
		return 2
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "unhealthy:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "unhealthy: status", resp.StatusCode)
		return 1
	}
	return 0
}
