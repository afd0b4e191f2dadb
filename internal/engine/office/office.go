// Package office is the documents engine: it converts word-processing,
// spreadsheet and presentation files to PDF and between office formats with
// LibreOffice. It owns a pool of warm soffice processes, each with its own
// profile and driven by a small python3-uno helper (helper.py, embedded)
// over a private pipe, so that no conversion pays for starting LibreOffice;
// the hardened profile settings (profile.xcu, embedded) that keep documents
// from running macros or fetching linked content; and the mapping of
// formats and task options to LibreOffice filters.
//
// Supervision (slots, recycling, replacement of crashed or hung processes,
// the retry after a crash) is enginepool's.
package office

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/enginepool"
)

//go:embed helper.py
var helperPy []byte

//go:embed profile.xcu
var profileXCU []byte

// Config configures the engine; zero values mean the defaults.
type Config struct {
	// SofficePath is the soffice program, a path or a name looked up in
	// PATH (default "soffice"). When a soffice.bin sits next to the file
	// it resolves to, that is run directly, skipping the launcher scripts.
	SofficePath string
	// PythonPath is the interpreter that has the uno module (python3-uno);
	// default /usr/bin/python3.
	PythonPath string
	// Slots is the number of soffice processes (default: number of CPUs).
	Slots int
	// MaxJobs restarts a process after that many conversions (default 200).
	MaxJobs int
	// MaxRSS restarts a process whose resident memory exceeds it after a
	// conversion, in bytes (default 1 GiB).
	MaxRSS int64
	// Timeout is the longest a conversion may take (default 60 s); a
	// task's timeout option can only shorten it.
	Timeout time.Duration
	// StartTimeout bounds the start of one process (default 60 s).
	StartTimeout time.Duration
	// WorkDir is where profiles live; a new directory under it (default the
	// system temporary directory) is made at Start and removed by Close.
	WorkDir string
	Logger  *slog.Logger

	// onStart is passed to the pool; tests await restarts with it.
	onStart func(slot int, err error)
}

// Engine implements engine.Engine, engine.Starter and io.Closer.
type Engine struct {
	cfg        Config
	sofficeBin string
	version    string

	startMu    sync.Mutex // serialises Start
	started    bool       // the pool runs (it may still be retrying slots)
	workDir    string
	template   string
	helperPath string
	gen        atomic.Int64
	pool       *enginepool.Pool[*worker]

	mu     sync.Mutex
	closed bool
}

var _ engine.Engine = (*Engine)(nil)
var _ engine.Starter = (*Engine)(nil)

// ErrNotInstalled is wrapped by New's error when LibreOffice or python3-uno
// is missing; register the engine as unavailable then.
var ErrNotInstalled = errors.New("libreoffice is not installed")

// New checks that LibreOffice and python3-uno are installed and returns an
// engine that has started nothing yet; Start (or the first Run) starts the
// processes.
func New(cfg Config) (*Engine, error) {
	if cfg.SofficePath == "" {
		cfg.SofficePath = "soffice"
	}
	if cfg.PythonPath == "" {
		cfg.PythonPath = "/usr/bin/python3"
	}
	if cfg.Slots <= 0 {
		cfg.Slots = runtime.NumCPU()
	}
	if cfg.MaxJobs <= 0 {
		cfg.MaxJobs = 200
	}
	if cfg.MaxRSS <= 0 {
		cfg.MaxRSS = 1 << 30
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = startTimeoutDefault
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	bin, err := findSoffice(cfg.SofficePath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (Debian packages %s, libreoffice-calc-nogui, libreoffice-impress-nogui)", ErrNotInstalled, err, Package)
	}
	if err := probe("uno:"+cfg.PythonPath, func() error {
		cmd := exec.Command(cfg.PythonPath, "-I", "-c", "import uno")
		cmd.Env = engine.ChildEnv() // as every engine program: none of the gateway's environment
		return cmd.Run()
	}); err != nil {
		return nil, fmt.Errorf("%w: %s cannot import uno: %v (Debian package python3-uno)", ErrNotInstalled, cfg.PythonPath, err)
	}
	e := &Engine{cfg: cfg, sofficeBin: bin, version: engine.ProgramVersion(versionRE, cfg.SofficePath)}
	e.pool = enginepool.New(enginepool.Config{
		Name: Name, Slots: cfg.Slots, MaxJobs: cfg.MaxJobs, MaxRSS: cfg.MaxRSS, Logger: cfg.Logger,
		OnStart: cfg.onStart,
	}, e.startWorker)
	return e, nil
}

// findSoffice resolves the soffice program, preferring the soffice.bin the
// launcher scripts would end up running.
func findSoffice(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		bin := filepath.Join(filepath.Dir(real), "soffice.bin")
		if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return bin, nil
		}
	}
	return p, nil
}

var versionRE = regexp.MustCompile(`\d+\.\d+\.\d+(?:\.\d+)?`)

// sofficeVersion asks soffice for its version ("7.4.7.2"); it is quick,
// since --version answers before LibreOffice starts.
// Probes of the installed programs are asked once per process: every
// gateway instance built in one process (tests build many) would otherwise
// pay a quarter second of program starts.
var (
	probes sync.Map // key → error (nil for success)
)

func probe(key string, fn func() error) error {
	if v, ok := probes.Load(key); ok {
		err, _ := v.(error)
		return err
	}
	err := fn()
	probes.Store(key, err)
	return err
}

// Name implements engine.Engine.
func (e *Engine) Name() string { return Name }

// Version is LibreOffice's version, such as "7.4.7.2".
func (e *Engine) Version() string { return e.version }

// Conversions implements engine.Engine; see the package-level Conversions.
func (e *Engine) Conversions() []engine.Conversion { return Conversions() }

// Start makes the template profile and starts every slot in parallel, each
// warmed with a first conversion. It fails when no process could start; the
// pool then keeps retrying in the background, and jobs fail fast until one
// process runs. A Start that failed before the pool ran is tried again by
// the next Start or Run.
func (e *Engine) Start(ctx context.Context) error {
	e.startMu.Lock()
	defer e.startMu.Unlock()
	if e.started {
		return nil
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return enginepool.ErrClosed
	}
	// The processes outlive the call that starts them; only the waiting is
	// bounded, by StartTimeout.
	ctx = context.WithoutCancel(ctx)
	dir, err := os.MkdirTemp(e.cfg.WorkDir, "gateway-office-")
	if err != nil {
		return fmt.Errorf("office work directory: %w", err)
	}
	e.workDir = dir
	e.helperPath = filepath.Join(dir, "helper.py")
	if err := os.WriteFile(e.helperPath, helperPy, 0o600); err != nil {
		os.RemoveAll(dir)
		return err
	}
	if err := e.makeTemplate(ctx); err != nil {
		os.RemoveAll(dir)
		return err
	}
	e.started = true
	began := time.Now()
	if err := e.pool.Start(ctx); err != nil {
		return err
	}
	e.cfg.Logger.Info("office engine started", "slots", e.cfg.Slots, "version", e.version,
		"ms", time.Since(began).Milliseconds())
	return nil
}

// Close kills every soffice process and removes the profiles.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.startMu.Lock() // waits for a Start under way
	defer e.startMu.Unlock()
	err := e.pool.Close()
	if e.workDir != "" {
		os.RemoveAll(e.workDir)
	}
	return err
}
