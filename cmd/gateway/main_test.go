package main

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary builds the gateway once for the process-level tests.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gateway")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// cleanEnv is the environment without any GATEWAY_ variable of the caller.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEWAY_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)

	t.Run("BadConfigurationIsReportedAllAtOnce", func(t *testing.T) {
		cmd := exec.Command(bin, "serve")
		cmd.Env = cleanEnv("GATEWAY_ADDR=nope", "GATEWAY_LOG_LEVEL=loud", "GATEWAY_IDLE_TIMEOUT=soon")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Fatalf("exit: got %v, want a non-zero exit", err)
		}
		for _, name := range []string{"GATEWAY_ADDR", "GATEWAY_LOG_LEVEL", "GATEWAY_IDLE_TIMEOUT"} {
			if !strings.Contains(string(out), name) {
				t.Errorf("output does not name %s:\n%s", name, out)
			}
		}
	})

	t.Run("UnknownCommand", func(t *testing.T) {
		err := exec.Command(bin, "frobnicate").Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Fatalf("got %v, want exit 2", err)
		}
	})

	t.Run("Version", func(t *testing.T) {
		out, err := exec.Command(bin, "version").Output()
		if err != nil || !strings.HasPrefix(string(out), "gateway ") {
			t.Fatalf("got %q, %v", out, err)
		}
	})

	t.Run("ServesAndStopsGracefullyOnSIGTERM", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		data := t.TempDir()
		cmd := exec.Command(bin) // no subcommand: serve
		cmd.Env = cleanEnv("GATEWAY_ADDR="+addr, "GATEWAY_DATA_DIR="+data)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		lines := make(chan string, 100)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Wait for the listening line instead of polling the port.
		var logged []string
		deadline := time.After(30 * time.Second)
	wait:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("gateway exited early:\n%s", strings.Join(logged, "\n"))
				}
				logged = append(logged, l)
				if strings.Contains(l, "gateway listening") {
					break wait
				}
			case <-deadline:
				t.Fatal("gateway did not start")
			}
		}
		token, err := os.ReadFile(filepath.Join(data, "admin-token"))
		if err != nil {
			t.Fatalf("admin token file: %v", err)
		}
		for _, l := range logged {
			if strings.Contains(l, strings.TrimSpace(string(token))) {
				t.Fatalf("the admin token was logged: %s", l)
			}
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		resp.Body.Close()
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/buckets", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err = http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("admin with the stored token: %v %v", resp, err)
		}
		resp.Body.Close()

		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() {
			for range lines {
			}
			done <- cmd.Wait()
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("gateway did not stop after SIGTERM")
		}
	})
}
