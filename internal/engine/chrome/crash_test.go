package chrome

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// setTabHook installs testHookTab for one test.
func setTabHook(t *testing.T, hook func(s *session)) {
	testHookTab = hook
	t.Cleanup(func() { testHookTab = nil })
}

// current is the engine's running session, nil while it restarts.
func (e *Engine) current() *session {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cur
}

// logBuffer collects an engine's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count is the number of lines with s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// crashEngine starts an engine whose cleanup closes it and then checks
// that no process mentioning its work dir is left. It logs to log.
func crashEngine(t *testing.T, cfg Config, log *logBuffer) *Engine {
	t.Helper()
	requireTools(t)
	dir := t.TempDir()
	cfg.WorkDir = dir
	cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		if left := waitGone(func() []int { return processesMentioning(dir) }); len(left) > 0 {
			t.Errorf("processes left after Close: %v", left)
		}
	})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(s string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + ent.Name() + "/cmdline"); err == nil && bytes.Contains(b, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGone polls list until it is empty, for up to 10 s, and returns what
// is left.
func waitGone(list func() []int) []int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := list()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awaitRestart waits for a running session other than old.
func awaitRestart(t *testing.T, e *Engine, old *session) *session {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if s := e.current(); s != nil && s != old {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("chromium was not restarted")
	return nil
}

// checkSessionGone checks that nothing of a dead session is left: no
// process of its browser and no user-data dir.
func checkSessionGone(t *testing.T, s *session) {
	t.Helper()
	if left := waitGone(func() []int { return processesMentioning(s.dir + "/") }); len(left) > 0 {
		t.Errorf("processes of the killed browser left: %v", left)
	}
	if err := syscall.Kill(s.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("killed browser %d: kill 0 says %v, want ESRCH", s.pid, err)
	}
	if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("user-data dir of the killed browser: %v, want it removed", err)
	}
}

func wantText(t *testing.T, p, text string) {
	t.Helper()
	if got := pdfText(t, p); !strings.Contains(got, text) {
		t.Errorf("PDF text %q lacks %q", got, text)
	}
}

// The browser killed while a page is rendering: the job runs again on a
// restarted browser and succeeds, and so does the next one.
func TestBrowserKilledDuringConversionIsRetried(t *testing.T) {
	var log logBuffer
	e := crashEngine(t, Config{Tabs: 2}, &log)
	var killed atomic.Pointer[session]
	setTabHook(t, func(s *session) {
		if killed.CompareAndSwap(nil, s) {
			// The page's script keeps it busy for a second: the kill
			// lands while it renders.
			time.AfterFunc(300*time.Millisecond, func() { syscall.Kill(s.pid, syscall.SIGKILL) })
		}
	})
	busy := `<p id=x>before</p><script>const end = Date.now() + 1000; while (Date.now() < end) {}
document.getElementById('x').textContent = 'survives a crash'</script>`
	p, err := convert(t, e, busy, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := killed.Load()
	if old == nil {
		t.Fatal("the hook killed no browser")
	}
	wantText(t, p, "survives a crash")
	if n := log.count("chromium died during a job; retrying it once"); n != 1 {
		t.Errorf("%d retries logged, want 1", n)
	}
	if n := log.count("chromium died; restarting it"); n != 1 {
		t.Errorf("%d restarts logged, want 1", n)
	}
	if s := e.current(); s == old {
		t.Error("the killed browser is still the current one")
	}
	checkSessionGone(t, old)
	p, err = convert(t, e, "<p>the next job</p>", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, p, "the next job")
}

// A job waiting for the only tab when the browser dies gets a tab of the
// restarted browser, as does the job that was running.
func TestWaitingJobGetsTheRestartedBrowser(t *testing.T) {
	var log logBuffer
	e := crashEngine(t, Config{Tabs: 1}, &log)
	took := make(chan struct{})
	var killed atomic.Pointer[session]
	setTabHook(t, func(s *session) {
		if killed.CompareAndSwap(nil, s) {
			close(took)
			time.AfterFunc(300*time.Millisecond, func() { syscall.Kill(s.pid, syscall.SIGKILL) })
		}
	})
	dir := t.TempDir()
	in := filepath.Join(dir, "waiting.html")
	if err := os.WriteFile(in, []byte("<p>the waiting job</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res engine.Result
		err error
	}
	waiting := make(chan result, 1)
	go func() {
		<-took
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		res, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: "pdf",
			Inputs: []engine.File{{Path: in, Name: "waiting.html"}}, WorkDir: dir})
		waiting <- result{res, err}
	}()
	busy := `<p id=x>before</p><script>const end = Date.now() + 1000; while (Date.now() < end) {}
document.getElementById('x').textContent = 'the running job'</script>`
	p, err := convert(t, e, busy, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, p, "the running job")
	r := <-waiting
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantText(t, r.res.Files[0].Path, "the waiting job")
	if n := log.count("chromium died; restarting it"); n != 1 {
		t.Errorf("%d restarts logged, want 1", n)
	}
}

// The browser killed while idle: the next job gets a restarted browser.
func TestBrowserKilledWhileIdle(t *testing.T) {
	var log logBuffer
	e := crashEngine(t, Config{Tabs: 1}, &log)
	old := e.current()
	if err := syscall.Kill(old.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p, err := convert(t, e, "<p>after an idle crash</p>", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, p, "after an idle crash")
	awaitRestart(t, e, old)
	checkSessionGone(t, old)
	// The restart was noticed without a job: kill again and wait for the
	// replacement before converting.
	second := e.current()
	syscall.Kill(second.pid, syscall.SIGKILL)
	third := awaitRestart(t, e, second)
	checkSessionGone(t, second)
	p, err = convert(t, e, "<p>after a second crash</p>", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, p, "after a second crash")
	if s := e.current(); s != third {
		t.Error("the engine restarted a browser that did not die")
	}
	if n := log.count("chromium died; restarting it"); n != 2 {
		t.Errorf("%d restarts logged, want 2", n)
	}
}

// A browser that dies on the retry too fails the job with
// CONVERSION_FAILED saying Chromium crashed; later jobs work again.
func TestBrowserKilledTwiceFailsTheJob(t *testing.T) {
	var log logBuffer
	e := crashEngine(t, Config{Tabs: 1}, &log)
	var kills atomic.Int64
	setTabHook(t, func(s *session) {
		kills.Add(1)
		syscall.Kill(s.pid, syscall.SIGKILL)
	})
	_, err := convert(t, e, "<p>never printed</p>", nil)
	if code := engine.CodeOf(err); code != engine.CodeConversionFailed {
		t.Fatalf("code %q (err %v), want CONVERSION_FAILED", code, err)
	}
	var ee *engine.Error
	if !errors.As(err, &ee) || !strings.Contains(ee.Message(), "Chromium crashed") {
		t.Errorf("message of %v does not say Chromium crashed", err)
	}
	if n := kills.Load(); n != 2 {
		t.Errorf("the job ran %d times, want 2", n)
	}
	testHookTab = nil
	p, err := convert(t, e, "<p>after two crashes</p>", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, p, "after two crashes")
}

// A website capture whose browser is killed is retried like a conversion.
func TestBrowserKilledDuringCaptureIsRetried(t *testing.T) {
	var log logBuffer
	e := crashEngine(t, Config{Tabs: 1, Policy: loopbackPolicy}, &log)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<h1>captured after a crash</h1>"))
	}))
	defer srv.Close()
	var killed atomic.Pointer[session]
	setTabHook(t, func(s *session) {
		if killed.CompareAndSwap(nil, s) {
			syscall.Kill(s.pid, syscall.SIGKILL)
		}
	})
	res, err := run(t, e, engine.Request{Operation: OpCapture, InputFormat: "website", OutputFormat: "pdf",
		Options: engine.Options{"url": srv.URL + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	if killed.Load() == nil {
		t.Fatal("the hook killed no browser")
	}
	wantText(t, res.Files[0].Path, "captured after a crash")
	checkSessionGone(t, killed.Load())
}

// After Close, a dead browser is not restarted and jobs fail.
func TestNoRestartAfterClose(t *testing.T) {
	var log logBuffer
	e := crashEngine(t, Config{Tabs: 1}, &log)
	s := e.current()
	e.Close()
	if !errors.Is(s.browser.Err(), context.Canceled) {
		t.Errorf("browser context after Close: %v", s.browser.Err())
	}
	checkSessionGone(t, s)
	if e.current() != nil {
		t.Error("a browser runs after Close")
	}
	if _, err := convert(t, e, "<p>x</p>", nil); engine.CodeOf(err) != engine.CodeConversionFailed {
		t.Errorf("job after Close: %v, want CONVERSION_FAILED", err)
	}
}
