// Package pebbletest gives tests a real ACME CA: a Pebble process of the
// test's own (Let's Encrypt's test server) on loopback ports, stopped when
// the test ends. By default Pebble takes every challenge as valid without
// checking it (PEBBLE_VA_ALWAYS_VALID=1), so that no name needs to
// resolve; Options.Validate makes it check them for real against the
// gateway's listeners, with a DNS server of the test's own that resolves
// every name to 127.0.0.1.
//
// Pebble must be installed; a test fails, naming the command, when it is
// not (there is no skipping):
//
//	go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3
//
// The certificates Pebble serves its API with come from its module
// (test/certs), found in the module cache or fetched with go mod download.
package pebbletest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/signedgate/gateway/internal/testutil"
)

// Pebble's module and the release the tests are written against.
const (
	Module  = "github.com/letsencrypt/pebble/v2"
	Version = "v2.10.3"
	// InstallCommand installs the Pebble the tests expect.
	InstallCommand = "go install " + Module + "/cmd/pebble@" + Version
)

// Options change how Pebble validates challenges.
type Options struct {
	// Validate checks challenges for real: HTTP-01 on HTTPPort, TLS-ALPN-01
	// on TLSPort, every name resolving to 127.0.0.1.
	Validate          bool
	HTTPPort, TLSPort int
}

// Server is one test's Pebble.
type Server struct {
	bin       string
	moduleDir string
	port      int          // the ACME API
	mgmtPort  int          // the management API (roots)
	client    *http.Client // trusts RootFile

	proc testutil.Process
}

// Start starts a Pebble for t and waits until its directory answers.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s := New(t)
		err := s.run(t, opts)
		if err == nil {
			return s
		}
		// A port chosen free may be taken before Pebble binds it.
		if attempt == 3 || !errors.Is(err, testutil.ErrExited) {
			t.Fatalf("start pebble: %v", err)
		}
	}
}

// New prepares a Pebble for t without starting it: its ports are chosen,
// so DirectoryURL is known, for a gateway that must be configured with it
// before Run is given the gateway's ports (Options.Validate).
func New(t testing.TB) *Server {
	t.Helper()
	bin := findPebble(t)
	dir := moduleDir(t)
	root, err := os.ReadFile(filepath.Join(dir, "test", "certs", "pebble.minica.pem"))
	if err != nil {
		t.Fatalf("pebble's test root: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(root)
	return &Server{
		bin:       bin,
		moduleDir: dir,
		port:      testutil.FreePort(t),
		mgmtPort:  testutil.FreePort(t),
		client: &http.Client{
			Timeout:   5 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		},
	}
}

// Run starts the prepared Pebble and waits until its directory answers.
func (s *Server) Run(t testing.TB, opts Options) {
	t.Helper()
	if err := s.run(t, opts); err != nil {
		t.Fatalf("start pebble: %v", err)
	}
}

// DirectoryURL is the ACME directory, https://127.0.0.1:PORT/dir.
func (s *Server) DirectoryURL() string {
	return "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) + "/dir"
}

// RootFile is the PEM file of the root that Pebble's API certificate
// chains to (pebble.minica.pem): what a client trusts to reach the
// directory. Issued certificates chain to IssuingRoots instead.
func (s *Server) RootFile() string {
	return filepath.Join(s.moduleDir, "test", "certs", "pebble.minica.pem")
}

// IssuingRoots is the root of the certificates this Pebble issues, drawn
// afresh at each start, from its management API (/roots/0).
func (s *Server) IssuingRoots(t testing.TB) *x509.CertPool {
	t.Helper()
	url := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.mgmtPort)) + "/roots/0"
	resp, err := s.client.Get(url)
	if err != nil {
		t.Fatalf("pebble's issuing root: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if resp.StatusCode != http.StatusOK || !pool.AppendCertsFromPEM(data) {
		t.Fatalf("pebble's issuing root: %s %q", resp.Status, data)
	}
	return pool
}

// Orders is how many orders Pebble has received ("Added order" in its
// log: every new-order request that it accepted).
func (s *Server) Orders() int { return strings.Count(s.proc.Log(), "Added order ") }

// Log is what Pebble printed so far.
func (s *Server) Log() string { return s.proc.Log() }

func (s *Server) run(t testing.TB, opts Options) error {
	t.Cleanup(func() {
		s.proc.Stop()
		if t.Failed() {
			t.Logf("pebble output (port %d):\n%s", s.port, s.proc.Log())
		}
	})
	httpPort, tlsPort := opts.HTTPPort, opts.TLSPort
	if httpPort == 0 {
		httpPort = 5002 // never dialled: challenges are valid unchecked
	}
	if tlsPort == 0 {
		tlsPort = 5001
	}
	var c struct {
		Pebble map[string]any `json:"pebble"`
	}
	c.Pebble = map[string]any{
		"listenAddress":                  net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		"managementListenAddress":        net.JoinHostPort("127.0.0.1", strconv.Itoa(s.mgmtPort)),
		"certificate":                    filepath.Join(s.moduleDir, "test", "certs", "localhost", "cert.pem"),
		"privateKey":                     filepath.Join(s.moduleDir, "test", "certs", "localhost", "key.pem"),
		"httpPort":                       httpPort,
		"tlsPort":                        tlsPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}
	data, _ := json.Marshal(c)
	config := filepath.Join(t.TempDir(), "pebble-config.json")
	if err := os.WriteFile(config, data, 0o600); err != nil {
		return err
	}
	args := []string{"-config", config}
	env := environ()
	if opts.Validate {
		args = append(args, "-dnsserver", startDNS(t))
	} else {
		env = append(env, "PEBBLE_VA_ALWAYS_VALID=1")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(env, "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	s.proc.Name = fmt.Sprintf("pebble on port %d", s.port)
	return s.proc.Start(cmd, 30*time.Second, func() error {
		resp, err := s.client.Get(s.DirectoryURL())
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("directory: %s", resp.Status)
		}
		return nil
	})
}

// environ is the test's environment without PEBBLE_ variables, so that a
// developer's settings cannot change the server.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PEBBLE_") {
			env = append(env, kv)
		}
	}
	return env
}

// findPebble finds the pebble binary of Version, or fails t naming the
// command that installs it.
func findPebble(t testing.TB) string {
	t.Helper()
	bin, err := testutil.FindGoBinary("pebble")
	if err != nil {
		t.Fatalf("pebble (the ACME test CA) is not installed; install it with `%s`: %v", InstallCommand, err)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil || info.Main.Path != Module || info.Main.Version != Version {
		got := "unknown"
		if err == nil {
			got = info.Main.Path + "@" + info.Main.Version
		}
		t.Fatalf("%s is %s, not %s@%s; install it with `%s`", bin, got, Module, Version, InstallCommand)
	}
	return bin
}

var (
	moduleDirOnce sync.Once
	moduleDirPath string
	moduleDirErr  error
)

// moduleDir is the directory of Pebble's module in the module cache,
// downloaded when it is not there.
func moduleDir(t testing.TB) string {
	t.Helper()
	moduleDirOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err == nil {
			dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "letsencrypt", "pebble", "v2@"+Version)
			if _, err := os.Stat(filepath.Join(dir, "test", "certs", "pebble.minica.pem")); err == nil {
				moduleDirPath = dir
				return
			}
		}
		cmd := exec.Command("go", "mod", "download", "-json", Module+"@"+Version)
		cmd.Dir = os.TempDir() // outside any module
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err = cmd.Output()
		if err != nil {
			moduleDirErr = fmt.Errorf("go mod download %s@%s: %v\n%s", Module, Version, err, stderr.String())
			return
		}
		var m struct{ Dir string }
		if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
			moduleDirErr = fmt.Errorf("go mod download %s@%s: no Dir in %q", Module, Version, out)
			return
		}
		moduleDirPath = m.Dir
	})
	if moduleDirErr != nil {
		t.Fatal(moduleDirErr)
	}
	return moduleDirPath
}

// startDNS serves DNS over TCP (as Pebble asks) on a loopback port until t
// ends: every name is 127.0.0.1, with no IPv6 address.
func startDNS(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		for _, qq := range q.Question {
			if qq.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}
