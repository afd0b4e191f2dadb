// Package chrome is the HTML-to-PDF/PNG/JPG and website-capture engine: one
// headless Chromium and a pool of warm tabs driven over the DevTools
// protocol. It owns the browser process, the tabs, and the network rules of
// pages. A converted HTML document gets no network at all: it is served to
// its tab from memory and every other request is refused. A captured website
// (capture-website) may reach only what the fetch policy of import/url
// allows: each request is checked in the tab's interception, and all page
// traffic goes through an in-process proxy that resolves names itself and
// dials only checked addresses (see guard.go).
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
	// Policy decides which addresses captured web pages may reach: pass
	// the policy of import/url. The zero value allows public addresses only.
	Policy fetch.Policy
	Logger *slog.Logger
}

// Engine implements engine.Engine, engine.Starter and io.Closer.
type Engine struct {
	cfg     Config
	bin     string
	version string

	startOnce sync.Once
	startErr  error
	profile   string
	alloc     context.Context
	cancel    context.CancelFunc // ends the browser
	browser   context.Context
	tabs      chan *tab
	guard     *guard
	proxy     *pageProxy

	mu     sync.Mutex
	closed bool
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
	g := &guard{policy: cfg.Policy, resolver: net.DefaultResolver, dialer: net.Dialer{Timeout: 10 * time.Second}}
	return &Engine{cfg: cfg, bin: bin, version: engine.ProgramVersion(versionRE, bin), guard: g}, nil
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

// Start launches the browser and opens the tabs.
func (e *Engine) Start(ctx context.Context) error {
	e.startOnce.Do(func() { e.startErr = e.start(ctx) })
	return e.startErr
}

func (e *Engine) start(ctx context.Context) error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return errors.New("chromium engine closed")
	}
	dir, err := os.MkdirTemp(e.cfg.WorkDir, "gateway-chromium-")
	if err != nil {
		return err
	}
	e.profile = dir
	if e.proxy, err = startProxy(e.guard); err != nil {
		return err
	}
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
		// every request before it reaches the proxy.
		chromedp.ProxyServer("http://" + e.proxy.addr()),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Env("HOME=" + dir),
	}
	if os.Geteuid() == 0 {
		// Chromium refuses to run its sandbox as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	e.alloc, e.cancel = chromedp.NewExecAllocator(context.Background(), opts...)
	e.browser, _ = chromedp.NewContext(e.alloc)
	if err := chromedp.Run(e.browser); err != nil {
		e.cancel()
		return fmt.Errorf("start chromium: %w", err)
	}
	e.tabs = make(chan *tab, e.cfg.Tabs)
	errs := make([]error, e.cfg.Tabs)
	var wg sync.WaitGroup
	for i := range e.cfg.Tabs {
		wg.Go(func() {
			t, err := e.newTab()
			errs[i] = err
			if err == nil {
				e.tabs <- t
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		e.cancel()
		return fmt.Errorf("open chromium tabs: %w", err)
	}
	e.cfg.Logger.Info("chromium engine started", "tabs", e.cfg.Tabs, "version", e.version)
	return nil
}

// Close ends the browser and removes its profile.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.startOnce.Do(func() { e.startErr = errors.New("chromium engine closed") })
	if e.cancel != nil {
		e.cancel() // kills the browser process and waits for it
	}
	if e.proxy != nil {
		e.proxy.close()
	}
	if e.profile != "" {
		os.RemoveAll(e.profile)
	}
	return nil
}
