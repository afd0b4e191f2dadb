// Package chrome is the HTML-to-PDF/PNG/JPG and website-capture engine: one
// headless Chromium and a pool of warm tabs driven over the DevTools
// protocol. It owns the browser process, the tabs, and the network rules of
// pages.
//
// The browser and its tabs form a session (session.go). When the browser
// dies (its DevTools connection drops or its process is gone), the engine
// kills what is left of it, starts a new session, and runs the job that
// was rendering on the dead browser once more; a second crash fails the
// job with CONVERSION_FAILED. Close kills the browser and stops restarts.
//
// No job sees what another left in the browser: a converted document that
// may run a script, and every capture, gets a browser context of its own,
// disposed after the job; a document without a script runs with scripts
// off, in a tab that serves job after job (see tab). A converted HTML
// document gets no network at all: it is served to its tab from memory,
// every other request is refused, and what escapes request interception
// (WebSockets, workers, preconnects) meets a proxy that refuses
// everything. A captured website (capture-website) may reach only what the
// fetch policy of import/url allows: each request is checked in the tab's
// interception, and all page traffic goes through an in-process proxy that
// resolves names itself and dials only checked addresses (see guard.go).
// Neither sends UDP: WebRTC is kept to TCP through the proxy and QUIC is
// off (see allocOptions).
package chrome

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
)

// Name is the engine's name; Package the Debian package it needs.
const (
	Name    = "chromium"
	Package = "chromium"
)

// ErrNotInstalled is wrapped by New's error when Chromium is missing.
var ErrNotInstalled = errors.New("chromium is not installed")

// Config configures the engine; zero values mean the defaults.
type Config struct {
	// ChromiumPath is the browser (default "chromium" in PATH).
	ChromiumPath string
	// Tabs is the number of pages rendered at once (default: CPUs).
	Tabs int
	// Timeout bounds one conversion (default 60 s); a task's timeout
	// option can only shorten it.
	Timeout time.Duration
	// WorkDir holds the browser profile (default: system temp dir).
	WorkDir string
	// NoSandbox runs Chromium without its sandbox, for containers that
	// refuse it the user namespaces it needs (GATEWAY_ENGINES_CHROME_SANDBOX
	// =false). The zero value keeps the sandbox unless the gateway is root.
	NoSandbox bool
	// Policy decides which addresses captured web pages may reach: pass
	// the policy of import/url. The zero value allows public addresses only.
	Policy fetch.Policy
	Logger *slog.Logger
}

// Engine implements engine.Engine, engine.Starter and io.Closer.
type Engine struct {
	cfg     Config
	bin     string
	envBin  string // env(1), which starts the browser (see cleanEnv)
	version string

	startOnce sync.Once
	startErr  error
	closeOnce sync.Once
	profile   string // holds each session's dir (see session)
	guard     *guard
	proxy     *pageProxy // the guard's: the browser's proxy, used by captures
	noNet     *pageProxy // refuses everything: the proxy of converted documents

	life context.Context    // ends at Close: kills browsers, stops restarts
	stop context.CancelFunc // ends life
	wg   sync.WaitGroup     // the session watchers

	// slots holds one token per job running, at most Tabs; the session
	// keeps more tabs than that open (see freshTabs).
	slots chan struct{}

	// Only the current session's watcher (see watch) uses failures.
	failures int // failed starts and early deaths in a row

	mu       sync.Mutex
	closed   bool
	cur      *session      // nil while the browser restarts
	changed  chan struct{} // closed when cur changes or the engine closes
	lastErr  error         // why the last restart failed, until one succeeds
	seq      int           // sessions started
	restarts int
}

var (
	_ engine.Engine  = (*Engine)(nil)
	_ engine.Starter = (*Engine)(nil)
)

// New checks that Chromium is installed; Start launches it.
func New(cfg Config) (*Engine, error) {
	if cfg.ChromiumPath == "" {
		cfg.ChromiumPath = "chromium"
	}
	if cfg.Tabs <= 0 {
		cfg.Tabs = runtime.NumCPU()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	bin, err := exec.LookPath(cfg.ChromiumPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (Debian package %s)", ErrNotInstalled, err, Package)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, err
	}
	if strings.Contains(bin, "=") {
		// env(1) would take it for a variable (see cleanEnv).
		return nil, fmt.Errorf("the chromium path %q has a '=' in it", bin)
	}
	envBin, err := exec.LookPath("env")
	if err != nil {
		return nil, fmt.Errorf("%w: env, which starts it, is missing: %v (Debian package coreutils)", ErrNotInstalled, err)
	}
	g := &guard{policy: cfg.Policy, resolver: net.DefaultResolver, dialer: net.Dialer{Timeout: 10 * time.Second}}
	life, stop := context.WithCancel(context.Background())
	return &Engine{cfg: cfg, bin: bin, envBin: envBin, version: engine.ProgramVersion(versionRE, bin), guard: g,
		life: life, stop: stop, changed: make(chan struct{}), slots: make(chan struct{}, cfg.Tabs)}, nil
}

var versionRE = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+`)

func (e *Engine) Name() string    { return Name }
func (e *Engine) Version() string { return e.version }

// Conversions: HTML to PDF, PNG and JPG; websites to the same.
func (e *Engine) Conversions() []engine.Conversion { return Conversions() }

// Conversions lists the engine's conversions without needing Chromium.
func Conversions() []engine.Conversion {
	var c []engine.Conversion
	for _, out := range []string{"pdf", "png", "jpg"} {
		c = append(c, engine.Conversion{Operation: "convert", Input: "html", Output: out},
			engine.Conversion{Operation: OpCapture, Input: "website", Output: out})
	}
	return c
}

// Start launches the browser and opens the tabs. The browser is not tied
// to ctx: it runs until Close.
func (e *Engine) Start(ctx context.Context) error {
	e.startOnce.Do(func() { e.startErr = e.start() })
	return e.startErr
}

func (e *Engine) start() error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return errClosed
	}
	dir, err := os.MkdirTemp(e.cfg.WorkDir, "gateway-chromium-")
	if err != nil {
		return err
	}
	e.profile = dir
	if e.proxy, err = startProxy(e.guard); err != nil {
		return err
	}
	if e.noNet, err = startProxy(&guard{none: true}); err != nil {
		return err
	}
	s, err := e.startSession()
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		s.end()
		return errClosed
	}
	e.install(s)
	e.mu.Unlock()
	e.cfg.Logger.Info("chromium engine started", "tabs", e.cfg.Tabs, "version", e.version, "pid", s.pid,
		"sandbox", !noSandbox(e.cfg, os.Geteuid()))
	return nil
}

// allocOptions are the browser's flags, with dir the parent of its
// profile (and its HOME, see cleanEnv).
func (e *Engine) allocOptions(dir string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(e.bin),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		// All page traffic, loopback included, goes through the guard's
		// proxy, which dials only addresses the fetch policy allows, so
		// Chromium never resolves a name itself (no DNS rebinding).
		// Converted HTML documents get no network at all: their tabs refuse
		// every request, and their browser contexts have a proxy of their
		// own that refuses everything (see newTab).
		chromedp.ProxyServer("http://" + e.proxy.addr()),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		// WebRTC sends UDP (STUN, TURN, media) from sockets of its own,
		// which no HTTP proxy sees: a page could send packets to loopback
		// or private addresses. This policy leaves WebRTC only TCP through
		// the proxy (TURN over TCP), which the guard checks.
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		// QUIC is UDP too; Chromium does not use it through an HTTP proxy,
		// and this keeps it so.
		chromedp.Flag("disable-quic", true),
		// Chromium has no name to resolve (the proxies do it, and are
		// addressed by IP), yet it looks some up (Google's hosts, to
		// preconnect): a DNS query is a way out that the guard never sees,
		// so every lookup of its own fails.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		// Each tab has a window in a browser context of its own (see
		// newTab), and each new window would load the omnibox popup, a
		// WebUI page costing several times the CPU of a conversion. The
		// back/forward cache would keep a static tab's earlier documents
		// alive behind the current one.
		chromedp.Flag("disable-features", "WebUIOmniboxPopup,WebUIOmniboxAimPopup,BackForwardCache"),
	}
	opts = append(opts, testFlags...)
	if noSandbox(e.cfg, os.Geteuid()) {
		opts = append(opts, chromedp.NoSandbox)
	}
	return opts
}

// cleanEnv makes cmd, the browser chromedp is about to start, start with
// none of the gateway's environment, which holds its secrets: Chromium
// renders pages from strangers, and without its sandbox (in containers, see
// Config.NoSandbox) a renderer exploit reads the process's environment.
// The browser's environment is engine.ChildEnv with HOME=dir; TMPDIR stays
// the system's, since Chromium puts its singleton socket there and a socket
// path has at most 107 bytes, which a work dir deep in the file system
// would exceed.
//
// Setting cmd.Env is not enough: chromedp prepends os.Environ() to whatever
// cmd.Env holds before it starts the process. So the command becomes
// "env -i NAME=value... chromium flags...": env clears its environment,
// sets those variables and executes the browser in its place, with the same
// process ID.
func cleanEnv(cmd *exec.Cmd, envBin, dir string) {
	args := append([]string{envBin, "-i"}, engine.ChildEnv("HOME="+dir)...)
	cmd.Args = append(append(args, cmd.Path), cmd.Args[1:]...)
	cmd.Path = envBin
}

// noSandbox reports whether the browser runs without its sandbox: when
// told to, and as root, where Chromium refuses to run its sandbox.
func noSandbox(cfg Config, euid int) bool {
	return cfg.NoSandbox || euid == 0
}

// testFlags, set by tests, are more flags for the browser.
var testFlags []chromedp.ExecAllocatorOption

// Close kills the browser, waits for it and its children to exit, and
// removes the profiles. No restart happens after Close.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		e.broadcast()
		e.mu.Unlock()
		e.stop() // kills a browser still starting
		e.startOnce.Do(func() { e.startErr = errClosed })
		e.mu.Lock()
		s := e.cur
		e.cur = nil
		e.mu.Unlock()
		if s != nil {
			s.end()
		}
		e.wg.Wait() // the watchers end their sessions
		if e.proxy != nil {
			e.proxy.close()
		}
		if e.noNet != nil {
			e.noNet.close()
		}
		if e.profile != "" {
			// Whatever a session's own sweep missed (a process that was
			// forked as it ran) goes with the profile.
			killLeftovers(e.profile, 10*time.Second)
			os.RemoveAll(e.profile)
		}
	})
	return nil
}
