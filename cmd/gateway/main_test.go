package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// built is the gateway binary, built once for every process-level test of
// the run and removed by TestMain.
var built struct {
	once     sync.Once
	dir, bin string
	out      []byte
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binary builds the gateway for the process-level tests, once a run.
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "gateway-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "gateway")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("build: %v\n%s", built.err, built.out)
	}
	return built.bin
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
		g := startGateway(t, bin)
		addr, data := g.addr, g.data
		token, err := os.ReadFile(filepath.Join(data, "admin-token"))
		if err != nil {
			t.Fatalf("admin token file: %v", err)
		}
		for _, l := range g.logged {
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

		if err := g.stop(t); err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	})

	// A request still running when GATEWAY_SHUTDOWN_TIMEOUT has passed is
	// cut, and the gateway exits 0 with a warning that counts it: here a
	// bucket whose body is still on its way.
	t.Run("CutsRequestsPastTheShutdownTimeoutAndExitsZero", func(t *testing.T) {
		g := startGateway(t, bin, "GATEWAY_SHUTDOWN_TIMEOUT=500ms")
		token, err := os.ReadFile(filepath.Join(g.data, "admin-token"))
		if err != nil {
			t.Fatalf("admin token file: %v", err)
		}
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT /v1/buckets/slow HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{", g.addr, strings.TrimSpace(string(token)))
		// The request is in flight once the gauge counts it beside the
		// request that reads the gauge.
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(metrics(t, g.addr), "\ngateway_http_requests_in_flight 2\n") {
			if time.Now().After(deadline) {
				t.Fatal("the slow request never reached its handler")
			}
			time.Sleep(20 * time.Millisecond)
		}

		if err := g.stop(t); err != nil {
			t.Fatalf("exit after SIGTERM with a request past the shutdown timeout: %v\n%s", err, strings.Join(g.logged, "\n"))
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("the cut connection: read %d bytes, %v; want it closed", n, err)
		}
		var cut []string
		for _, l := range g.logged {
			if strings.Contains(l, "shutdown timeout") {
				cut = append(cut, l)
			}
		}
		if len(cut) != 1 || !strings.Contains(cut[0], `"level":"WARN"`) || !strings.Contains(cut[0], `"requests":1`) {
			t.Errorf("want one warning that the shutdown timeout cut 1 request; log:\n%s", strings.Join(g.logged, "\n"))
		}
	})
}

// gateway is a gateway process started by startGateway.
type gateway struct {
	cmd        *exec.Cmd
	addr, data string
	lines      chan string
	logged     []string // its log lines so far
}

// startGateway starts the binary with its own address and data directory,
// and env, and waits for it to listen.
func startGateway(t *testing.T, bin string, env ...string) *gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{addr: ln.Addr().String(), data: t.TempDir(), lines: make(chan string, 100)}
	ln.Close()
	g.cmd = exec.Command(bin) // no subcommand: serve
	g.cmd.Env = cleanEnv(append([]string{"GATEWAY_ADDR=" + g.addr, "GATEWAY_DATA_DIR=" + g.data}, env...)...)
	stderr, _ := g.cmd.StderrPipe()
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			g.lines <- sc.Text()
		}
		close(g.lines)
	}()
	// Wait for the listening line instead of polling the port.
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-g.lines:
			if !ok {
				t.Fatalf("gateway exited early:\n%s", strings.Join(g.logged, "\n"))
			}
			g.logged = append(g.logged, l)
			if strings.Contains(l, "gateway listening") {
				return g
			}
		case <-deadline:
			t.Fatal("gateway did not start")
		}
	}
}

// stop sends SIGTERM and returns how the process exited, with every line
// it logged in g.logged.
func (g *gateway) stop(t *testing.T) error {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() {
		for l := range g.lines {
			g.logged = append(g.logged, l)
		}
		done <- g.cmd.Wait()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("gateway did not stop after SIGTERM")
		return nil
	}
}

// metrics returns the gateway's /metrics page.
func metrics(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
