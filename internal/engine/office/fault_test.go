package office

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/imagego"
)

// setHook installs testHookSend for one test.
func setHook(t *testing.T, hook func(w *worker, req request)) {
	testHookSend = hook
	t.Cleanup(func() { testHookSend = nil })
}

// startEvents returns an onStart hook and the channel it reports
// successful starts on, by slot.
func startEvents() (func(int, error), chan int) {
	ch := make(chan int, 64)
	return func(slot int, err error) {
		if err == nil {
			ch <- slot
		}
	}, ch
}

func awaitStart(t *testing.T, ch chan int, what string) int {
	t.Helper()
	select {
	case slot := <-ch:
		return slot
	case <-time.After(2 * time.Minute):
		t.Fatalf("no process started: %s", what)
		return -1
	}
}

func processGone(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return errors.Is(err, os.ErrNotExist)
}

// An soffice process killed in the middle of a job: the job is retried on
// another process and succeeds, and the killed one is replaced.
func TestCrashDuringJobIsRetried(t *testing.T) {
	onStart, started := startEvents()
	e := newEngine(t, Config{Slots: 2, onStart: onStart})
	awaitStart(t, started, "first slot")
	awaitStart(t, started, "second slot")

	var killed atomic.Int64
	setHook(t, func(w *worker, req request) {
		if req.Op == "convert" && killed.CompareAndSwap(0, int64(w.soffice.Process.Pid)) {
			syscall.Kill(w.soffice.Process.Pid, syscall.SIGKILL)
		}
	})
	path := writeFile(t, t.TempDir(), "crash.txt", "survives a crash\n")
	pdf := mustConvert(t, e, path, "pdf", nil)
	if killed.Load() == 0 {
		t.Fatal("the hook did not kill any process")
	}
	if text := pdfText(t, pdf); !strings.Contains(text, "survives a crash") {
		t.Errorf("PDF text %q lacks the source text", text)
	}
	awaitStart(t, started, "replacement of the killed process")
	if !processGone(int(killed.Load())) {
		t.Errorf("killed soffice %d is still there", killed.Load())
	}
	if st := e.pool.Stats(); st.Alive != 2 {
		t.Errorf("alive processes %d, want 2", st.Alive)
	}
}

// A conversion that hangs (soffice stopped with SIGSTOP) is ended at its
// timeout, the process is killed and replaced, and the next job succeeds.
func TestHungConversionIsKilledAndReplaced(t *testing.T) {
	onStart, started := startEvents()
	e := newEngine(t, Config{Slots: 1, onStart: onStart})
	awaitStart(t, started, "first slot")

	var stopped atomic.Int64
	setHook(t, func(w *worker, req request) {
		if req.Op == "convert" && stopped.CompareAndSwap(0, int64(w.soffice.Process.Pid)) {
			syscall.Kill(w.soffice.Process.Pid, syscall.SIGSTOP)
		}
	})
	dir := t.TempDir()
	path := writeFile(t, dir, "hang.txt", "never finishes\n")
	began := time.Now()
	_, err := convert(t, e, path, "pdf", engine.Options{"timeout": 2})
	if code := engine.CodeOf(err); code != engine.CodeTimeout {
		t.Fatalf("code %q (err %v), want TIMEOUT", code, err)
	}
	if d := time.Since(began); d < 2*time.Second {
		t.Errorf("the job ended after %s, before its 2 s timeout", d)
	}
	awaitStart(t, started, "replacement of the hung process")
	if !processGone(int(stopped.Load())) {
		t.Errorf("hung soffice %d was not killed", stopped.Load())
	}
	next := writeFile(t, dir, "next.txt", "after the hang\n")
	if text := pdfText(t, mustConvert(t, e, next, "pdf", nil)); !strings.Contains(text, "after the hang") {
		t.Errorf("PDF text %q lacks the source text", text)
	}
}

// After MaxJobs conversions a process is replaced by a fresh one.
func TestProcessRecycledAfterMaxJobs(t *testing.T) {
	onStart, started := startEvents()
	e := newEngine(t, Config{Slots: 1, MaxJobs: 2, onStart: onStart})
	awaitStart(t, started, "first slot")
	dir := t.TempDir()
	for i := range 3 {
		p := writeFile(t, dir, "r"+strconv.Itoa(i)+".txt", "recycle\n")
		mustConvert(t, e, p, "pdf", nil)
		if i == 1 {
			awaitStart(t, started, "replacement after 2 jobs")
		}
	}
	if st := e.pool.Stats(); st.Starts != 2 {
		t.Errorf("starts %d, want 2 (one recycle in 3 jobs)", st.Starts)
	}
}

// Close leaves no soffice or helper process behind.
func TestNoOrphansAfterClose(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	e, err := New(Config{Slots: 2, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	mustConvert(t, e, writeFile(t, t.TempDir(), "o.txt", "orphans\n"), "pdf", nil)
	if out, err := exec.Command("pgrep", "-f", dir).Output(); err != nil || len(strings.Fields(string(out))) < 4 {
		t.Fatalf("pgrep before Close found %q (%v), want 2 soffice and 2 helpers", out, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pgrep", "-f", dir).Output(); err == nil {
		t.Errorf("processes left after Close: %s", out)
	}
	if _, err := convert(t, e, writeFile(t, t.TempDir(), "c.txt", "x\n"), "pdf", nil); err == nil {
		t.Error("Run after Close succeeded")
	}
}

// Without LibreOffice, New says which package to install, and a registry
// with the engine registered as unavailable still serves the others.
func TestMissingLibreOffice(t *testing.T) {
	_, err := New(Config{SofficePath: "/nonexistent/soffice"})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(err.Error(), "libreoffice-writer-nogui") {
		t.Errorf("error %q does not name the Debian package", err)
	}
	r := engine.NewRegistry()
	r.Register(imagego.New(imagego.Config{}))
	r.RegisterUnavailable(Name, Package, Conversions())
	_, err = r.Lookup("convert", "docx", "pdf")
	if engine.CodeOf(err) != engine.CodeUnsupportedConversion || !strings.Contains(err.Error(), Package) {
		t.Errorf("docx to pdf: %v, want UNSUPPORTED_CONVERSION naming %s", err, Package)
	}
	if _, err := r.Lookup("convert", "png", "jpg"); err != nil {
		t.Errorf("png to jpg with office missing: %v", err)
	}
}

// The office processes get huge-page malloc and none of the gateway's
// environment, which holds its secrets.
func TestProcessEnvironment(t *testing.T) {
	t.Setenv("GATEWAY_ADMIN_TOKEN", "do-not-leak-this-token")
	e := newEngine(t, Config{Slots: 1})
	var pid atomic.Int64
	setHook(t, func(w *worker, req request) { pid.Store(int64(w.soffice.Process.Pid)) })
	mustConvert(t, e, writeFile(t, t.TempDir(), "env.txt", "env\n"), "pdf", nil)
	{
		p := pid.Load()
		b, err := os.ReadFile("/proc/" + strconv.FormatInt(p, 10) + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		env := strings.Split(string(b), "\x00")
		if !slices.Contains(env, "GLIBC_TUNABLES=glibc.malloc.hugetlb=1") {
			t.Errorf("soffice environment lacks GLIBC_TUNABLES: %q", env)
		}
		for _, kv := range env {
			if strings.HasPrefix(kv, "GATEWAY_") || strings.Contains(kv, "do-not-leak") {
				t.Errorf("soffice environment has %q", kv)
			}
		}
	}
}

// The start-up check that python can import uno runs, as every engine
// program, without the gateway's environment.
func TestUnoCheckEnvironment(t *testing.T) {
	requireTools(t)
	t.Setenv("GATEWAY_ADMIN_TOKEN", "do-not-leak-this-token")
	dir := t.TempDir()
	dump := filepath.Join(dir, "env.txt")
	python := filepath.Join(dir, "python3")
	if err := os.WriteFile(python, []byte("#!/bin/sh\nenv > "+dump+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{PythonPath: python, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.Close()
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("the stand-in python did not run: %v", err)
	}
	if strings.Contains(string(b), "do-not-leak") || strings.Contains(string(b), "GATEWAY_") {
		t.Errorf("the uno check's environment has the gateway's:\n%s", b)
	}
}
