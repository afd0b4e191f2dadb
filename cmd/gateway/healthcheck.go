package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/signedgate/gateway/config"
)

// runHealthcheck asks the local gateway's /healthz, for container health
// checks in images that have no curl.
func runHealthcheck(args []string) int {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		return 2
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "unhealthy: status", resp.StatusCode)
		return 1
	}
	return 0
}
