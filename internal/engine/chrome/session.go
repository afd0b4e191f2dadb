package chrome

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/signedgate/gateway/internal/engine"
)

// session is one Chromium process and its tabs (see tab). When the browser
// dies the engine ends the session and starts a new one (see watch).
type session struct {
	dir     string             // the browser's HOME and profile, removed by end
	stop    context.CancelFunc // kills the browser without waiting
	cancel  context.CancelFunc // kills the browser and waits for it to exit
	browser context.Context    // ends when the browser dies or the session ends
	static  chan *tab          // static tabs, waiting for their next job
	fresh   chan *tab          // fresh tabs, opened ahead of their jobs
	// noNetwork is the address of the proxy of the tabs of converted
	// documents, which refuses everything.
	noNetwork string
	cmd       *exec.Cmd // the browser process, set while it starts
	proc      *os.Process
	pid       int
	began     time.Time

	endOnce sync.Once
	exit    string // how the browser process ended, set by end
}

// startTimeout bounds the start of a browser and the opening of its tabs.
const startTimeout = time.Minute

// testHookTab, when set, runs after a job took a tab of s.
var testHookTab func(s *session)

// startSession launches a browser with a fresh HOME and user-data dir and
// opens its tabs. It ends with the engine: Close kills a browser still
// starting.
func (e *Engine) startSession() (*session, error) {
	e.mu.Lock()
	e.seq++
	id := e.seq
	e.mu.Unlock()
	s := &session{dir: filepath.Join(e.profile, "session-"+strconv.Itoa(id)), began: time.Now(),
		noNetwork: e.noNet.addr()}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		return nil, err
	}
	opts := append(e.allocOptions(s.dir), chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
		// Its own process group keeps a Ctrl-C meant for the gateway
		// from killing the browser under a graceful shutdown; the death
		// signal ends it with the gateway.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		cleanEnv(cmd, e.envBin, s.dir)
		s.cmd = cmd
	}))
	life, stop := context.WithCancel(e.life)
	alloc, cancel := chromedp.NewExecAllocator(life, opts...)
	s.stop = stop
	s.cancel = func() { stop(); cancel() }
	s.browser, _ = chromedp.NewContext(alloc)
	// A browser that hangs while starting is killed, so that a restart
	// cannot wait forever.
	hung := time.AfterFunc(startTimeout, stop)
	defer hung.Stop()
	if err := chromedp.Run(s.browser); err != nil {
		s.end()
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	if c := chromedp.FromContext(s.browser); c != nil && c.Browser != nil {
		s.proc = c.Browser.Process()
	}
	if s.proc == nil {
		s.end()
		return nil, errors.New("start chromium: no browser process")
	}
	s.pid = s.proc.Pid
	nFresh := freshTabs(e.cfg.Tabs)
	s.static = make(chan *tab, e.cfg.Tabs)
	s.fresh = make(chan *tab, nFresh)
	errs := make([]error, e.cfg.Tabs+nFresh)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			t, err := s.newTab(i < e.cfg.Tabs)
			errs[i] = err
			if err == nil {
				s.pool(t.static) <- t
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		s.end()
		return nil, fmt.Errorf("open chromium tabs: %w", err)
	}
	return s, nil
}

// freshTabs is the number of fresh tabs a session keeps open for tabs jobs
// at once: one more than can run, since a fresh tab's replacement takes
// longer to open than a short job takes.
func freshTabs(tabs int) int { return tabs + 1 }

// pool is where the session keeps tabs of the kind.
func (s *session) pool(static bool) chan *tab {
	if static {
		return s.static
	}
	return s.fresh
}

// alive reports whether the browser still runs: its connection is open
// and its process exists (os.Process signals through a pidfd where the
// kernel has them, so a reused PID does not count; a reaped process never
// does).
func (s *session) alive() bool {
	return s.browser.Err() == nil && s.proc.Signal(syscall.Signal(0)) == nil
}

// lost reports whether the browser died, waiting up to grace for the
// connection to drop: a job can fail a moment before its browser's death
// is noticed.
func (s *session) lost(grace time.Duration) bool {
	if !s.alive() {
		return true
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-s.browser.Done():
		return true
	case <-t.C:
		return !s.alive()
	}
}

// put returns a static tab to the session's pool, or closes it when the
// session ended.
func (s *session) put(t *tab) {
	if s.browser.Err() != nil {
		s.closeTab(t.cancel)
		return
	}
	s.static <- t
}

// closeTab runs the cancel function of a chromedp tab context, which
// closes the tab. On a dead browser that waits a second for an answer that
// cannot come, so then it runs in the background.
func (s *session) closeTab(cancel context.CancelFunc) {
	if s.browser.Err() != nil {
		go cancel()
		return
	}
	cancel()
}

// replaceTab closes t and its browser context, with whatever the job's page
// stored or still runs, and puts a new tab of its kind in its place.
func (s *session) replaceTab(t *tab, e *Engine) {
	s.closeTab(t.cancel)
	if s.browser.Err() != nil {
		return
	}
	if nt, err := s.newTab(t.static); err == nil {
		s.pool(t.static) <- nt
		return
	} else if s.browser.Err() == nil {
		e.cfg.Logger.Warn("could not reopen a chromium tab", "err", err)
	}
	go s.reopen(t.static)
}

// reopen keeps trying to open a tab until it succeeds or the session ends.
func (s *session) reopen(static bool) {
	for pause := 100 * time.Millisecond; ; pause = min(pause*2, 10*time.Second) {
		select {
		case <-s.browser.Done():
			return
		case <-time.After(pause):
		}
		if t, err := s.newTab(static); err == nil {
			s.pool(static) <- t
			return
		}
	}
}

// end kills the browser, waits for it, kills what is left of its
// children, and removes its user-data dir. It is safe to call more than
// once and from several goroutines.
func (s *session) end() {
	s.endOnce.Do(func() {
		s.stop()
		s.cancel() // kills the process and waits for it to be reaped
		if s.cmd != nil && s.cmd.ProcessState != nil {
			s.exit = s.cmd.ProcessState.String()
		}
		killLeftovers(s.dir, 10*time.Second)
		os.RemoveAll(s.dir)
	})
}

// killLeftovers kills every process with a flag whose value is a path in
// dir (the renderers, zygotes and crash handlers of a dead browser) and
// waits until none is left, for up to limit. A zombie has no command line,
// so it does not count.
func killLeftovers(dir string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		pids := processesUsing(dir)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processesUsing lists the processes that have a flag --name=value whose
// value is a path in dir, as Chromium's processes have for the user-data
// dir and the crash handler's database.
func processesUsing(dir string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte("=" + filepath.Clean(dir) + "/")
	var pids []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(b, []byte{0}) {
			if bytes.HasPrefix(a, []byte("--")) && bytes.Contains(a, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// install makes s the current session and watches it. e.mu is held.
func (e *Engine) install(s *session) {
	e.cur = s
	e.lastErr = nil
	e.broadcast()
	e.wg.Add(1)
	go e.watch(s)
}

// broadcast wakes the jobs waiting for a session. e.mu is held.
func (e *Engine) broadcast() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// watch waits for s to die, ends it and, unless the engine is closed,
// starts its replacement. Death is the browser context ending (chromedp
// cancels it when the DevTools connection drops, which it does when the
// process exits) or, as a second check, the process being gone.
func (e *Engine) watch(s *session) {
	defer e.wg.Done()
	tick := time.NewTicker(time.Second)
	for s.alive() {
		select {
		case <-s.browser.Done():
		case <-tick.C:
		}
	}
	tick.Stop()
	e.mu.Lock()
	current := e.cur == s
	if current {
		e.cur = nil
		e.broadcast()
	}
	closed := e.closed
	e.mu.Unlock()
	s.end()
	if !current || closed {
		return
	}
	lived := time.Since(s.began)
	e.cfg.Logger.Warn("chromium died; restarting it", "pid", s.pid, "exit", s.exit,
		"uptime", lived.Round(time.Millisecond).String())
	if lived < stableUptime {
		e.failures++ // a browser that dies at once counts as a failed start
	} else {
		e.failures = 0
	}
	e.restart()
}

// stableUptime is how long a browser must live for its death not to count
// as one more failure in a row, which lengthens the pause before the next
// start.
const stableUptime = time.Minute

// restartPause is the pause before a start after n failures in a row:
// none after none, then 100 ms doubling up to 10 s.
func restartPause(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return min(100*time.Millisecond<<min(n-1, 10), 10*time.Second)
}

// restart starts a new session, pausing longer after each failure, until
// one starts or the engine closes. Only watch calls it, one at a time.
func (e *Engine) restart() {
	for {
		if p := restartPause(e.failures); p > 0 {
			select {
			case <-e.life.Done():
				return
			case <-time.After(p):
			}
		}
		if e.life.Err() != nil {
			return
		}
		s, err := e.startSession()
		e.mu.Lock()
		if err == nil {
			if e.closed {
				e.mu.Unlock()
				s.end()
				return
			}
			e.install(s)
			e.restarts++
			n := e.restarts
			e.mu.Unlock()
			e.cfg.Logger.Info("chromium restarted", "pid", s.pid, "restarts", n)
			return
		}
		e.lastErr = err
		e.broadcast()
		e.mu.Unlock()
		e.failures++
		if e.life.Err() == nil {
			e.cfg.Logger.Warn("chromium could not be restarted", "err", err,
				"retry_in", restartPause(e.failures).String())
		}
	}
}

// tabKind is the tab a job needs: none (a capture opens its own), a
// static one or a fresh one.
type tabKind int

const (
	noTab tabKind = iota
	staticTab
	freshTab
)

// acquire takes a tab of the kind from the current session, waiting for
// one to be free or for a restarted browser; with noTab, it returns the
// session alone. A tab of a browser found dead is dropped, so no job starts
// on a dead browser.
func (e *Engine) acquire(ctx context.Context, kind tabKind) (*session, *tab, error) {
	for {
		e.mu.Lock()
		closed, s, changed, lastErr := e.closed, e.cur, e.changed, e.lastErr
		e.mu.Unlock()
		if closed {
			return nil, nil, errClosed
		}
		if s == nil {
			if lastErr != nil {
				return nil, nil, fmt.Errorf("chromium is not running and could not be restarted: %w", lastErr)
			}
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return nil, nil, fmt.Errorf("%w: %w", errRestarting, ctx.Err())
			}
		}
		if kind == noTab {
			if s.alive() {
				return s, nil, nil
			}
			s.stop() // the watcher ends the session and restarts the browser
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
		}
		select {
		case t := <-s.pool(kind == staticTab):
			if s.alive() {
				return s, t, nil
			}
			s.stop() // the watcher ends the session and restarts the browser
			s.closeTab(t.cancel)
		case <-changed:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// errClosed is what jobs get once Close was called.
var errClosed = errors.New("the chromium engine is closed")

// errRestarting is a job's context ending while the browser restarts.
var errRestarting = errors.New("waiting for chromium to restart")

// errCrashed marks a job's failure as the browser's death.
var errCrashed = errors.New("chromium crashed")

// withTab runs job on a tab of the kind of the current session, once one of
// the Tabs slots is free. job gives the tab back (or replaces it) and
// returns an engine error, or one wrapping errCrashed when the browser died
// under it; then job runs once more on the restarted browser, and a second
// crash fails with CodeConversionFailed.
func (e *Engine) withTab(ctx context.Context, what string, kind tabKind, job func(s *session, t *tab) error) error {
	select {
	case e.slots <- struct{}{}:
		defer func() { <-e.slots }()
	case <-e.life.Done():
		return e.acquireError(ctx, errClosed)
	case <-ctx.Done():
		return e.acquireError(ctx, ctx.Err())
	}
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		s, t, aerr := e.acquire(ctx, kind)
		if aerr != nil {
			return e.acquireError(ctx, aerr)
		}
		if testHookTab != nil {
			testHookTab(s)
		}
		err = job(s, t)
		if !errors.Is(err, errCrashed) {
			return err
		}
		if attempt == 1 {
			e.cfg.Logger.Warn("chromium died during a job; retrying it once", "pid", s.pid, "err", err)
		}
	}
	return crashError(err, what)
}

// acquireError turns acquire's error into the job's engine error.
func (e *Engine) acquireError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, errClosed):
		return engine.Wrap(engine.CodeConversionFailed, err, "the chromium engine is closed")
	case errors.Is(err, errRestarting):
		code := engine.CodeOf(ctx.Err())
		return engine.Wrap(code, err, "Chromium crashed, and the job ended while it was being restarted")
	case ctx.Err() != nil:
		return engine.ContextError(ctx)
	default:
		return engine.Wrap(engine.CodeConversionFailed, err, "Chromium crashed and could not be restarted")
	}
}

// crashError is the error of a job whose browser died on both tries.
func crashError(err error, what string) error {
	return engine.Wrap(engine.CodeConversionFailed, err, "Chromium crashed while "+what+", twice")
}
