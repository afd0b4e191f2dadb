package office

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/enginepool"
)

// worker is one soffice process and the python3-uno helper that drives it,
// both in one process group so that one kill ends both.
type worker struct {
	slot    int
	dir     string // profile, HOME and TMPDIR of this worker
	pgid    int
	soffice *exec.Cmd
	helper  *exec.Cmd
	stdin   io.WriteCloser
	msgs    chan message // closed when the helper's stdout ends
	version string

	nextID atomic.Int64
	dead   atomic.Bool
	once   sync.Once
	waited chan struct{} // closed when both processes are reaped
}

// message is any line the helper writes.
type message struct {
	Ready    *bool  `json:"ready,omitempty"`
	Version  string `json:"version,omitempty"`
	ID       int64  `json:"id"`
	Progress int    `json:"progress,omitempty"`
	OK       *bool  `json:"ok,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Error    string `json:"error,omitempty"`
	Pages    int    `json:"pages,omitempty"`
	MS       int    `json:"ms,omitempty"`
}

// request is a line sent to the helper; see helper.py.
type request struct {
	ID            int64          `json:"id"`
	Op            string         `json:"op"`
	In            string         `json:"in,omitempty"`
	Out           string         `json:"out,omitempty"`
	PDF           bool           `json:"pdf,omitempty"`
	ImportFilter  string         `json:"import_filter,omitempty"`
	ImportOptions string         `json:"import_options,omitempty"`
	ExportFilter  string         `json:"export_filter,omitempty"`
	ExportOptions string         `json:"export_options,omitempty"`
	Families      []string       `json:"families,omitempty"`
	FilterData    map[string]any `json:"filter_data,omitempty"`
	Pages         [][2]int       `json:"pages,omitempty"`
	Password      string         `json:"password,omitempty"`
}

// helperError is a failed request the helper answered.
type helperError struct{ kind, msg string }

func (e *helperError) Error() string { return e.kind + ": " + e.msg }

// startWorker copies the template profile, starts soffice listening on a
// private pipe, starts the helper, waits until it is connected and warms
// it with one conversion of each document kind.
func (e *Engine) startWorker(ctx context.Context, slot int) (*worker, error) {
	gen := e.gen.Add(1)
	dir := filepath.Join(e.workDir, fmt.Sprintf("slot%d-%d", slot, gen))
	if err := copyDir(e.template, dir); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("copy profile: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	pipe := fmt.Sprintf("gateway-office-%d-%d-%d", os.Getpid(), slot, gen)
	w := &worker{slot: slot, dir: dir, msgs: make(chan message, 16), waited: make(chan struct{})}

	w.soffice = exec.Command(e.sofficeBin, append(sofficeArgs(dir),
		"--accept=pipe,name="+pipe+";urp;StarOffice.ComponentContext")...)
	w.soffice.Env = e.childEnv(dir)
	w.soffice.Dir = dir
	var serr tailBuffer
	w.soffice.Stdout, w.soffice.Stderr = &serr, &serr
	w.soffice.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := w.soffice.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start soffice: %w", err)
	}
	w.pgid = w.soffice.Process.Pid

	connect := e.cfg.StartTimeout.Seconds()
	w.helper = exec.Command(e.cfg.PythonPath, "-I", e.helperPath, pipe, strconv.FormatFloat(connect, 'f', 1, 64))
	w.helper.Env = e.childEnv(dir)
	w.helper.Dir = dir
	var herr tailBuffer
	w.helper.Stderr = &herr
	w.helper.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: w.pgid, Pdeathsig: syscall.SIGKILL}
	// Our own pipe for stdout: the one from StdoutPipe is closed by Wait,
	// which could drop the helper's last line.
	stdout, stdoutW, err1 := os.Pipe()
	stdin, err2 := w.helper.StdinPipe()
	if err := errors.Join(err1, err2); err != nil {
		w.kill()
		w.soffice.Wait()
		os.RemoveAll(dir)
		return nil, err
	}
	w.helper.Stdout = stdoutW
	w.stdin = stdin
	err := w.helper.Start()
	stdoutW.Close()
	if err != nil {
		stdout.Close()
		w.kill()
		w.soffice.Wait()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", e.cfg.PythonPath, err)
	}
	go w.read(stdout)
	go w.reap()

	fail := func(err error) (*worker, error) {
		w.Close()
		out := strings.TrimSpace(serr.String() + " " + herr.String())
		if out != "" {
			err = fmt.Errorf("%w (output: %s)", err, out)
		}
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.StartTimeout)
	defer cancel()
	select {
	case m, ok := <-w.msgs:
		if !ok || m.Ready == nil || !*m.Ready {
			return fail(fmt.Errorf("helper did not connect to soffice: %s", m.Error))
		}
		w.version = m.Version
	case <-ctx.Done():
		return fail(fmt.Errorf("soffice did not become ready: %w", ctx.Err()))
	}
	if _, err := w.call(ctx, request{Op: "warm"}, nil); err != nil {
		return fail(fmt.Errorf("warm-up conversion: %w", err))
	}
	return w, nil
}

func sofficeArgs(dir string) []string {
	return []string{
		"-env:UserInstallation=" + fileURL(dir),
		"--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
		"--nolockcheck", "--nofirststartwizard",
	}
}

// childEnv is the whole environment of the office processes (see
// engine.ChildEnv), with HOME and TMPDIR in dir.
func (e *Engine) childEnv(dir string) []string {
	lang := os.Getenv("LANG")
	if lang == "" {
		lang = "C.UTF-8"
	}
	return engine.ChildEnv(
		"HOME="+dir,
		"TMPDIR="+filepath.Join(dir, "tmp"),
		"SAL_USE_VCLPLUGIN=svp",
		// Huge pages for malloc cut a cold soffice start from ~3.7 s to
		// under 1 s on our machines.
		"GLIBC_TUNABLES=glibc.malloc.hugetlb=1",
		// The operator's locale, which LibreOffice's defaults (paper size,
		// number formats) follow.
		"LANG="+lang)
}

// read decodes the helper's output lines until it ends.
func (w *worker) read(r io.ReadCloser) {
	defer close(w.msgs)
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var m message
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		w.msgs <- m
	}
}

// reap waits for both processes; when either ends, the worker is dead and
// the whole group is killed, so a helper never outlives its soffice.
func (w *worker) reap() {
	done := make(chan struct{}, 2)
	for _, c := range []*exec.Cmd{w.soffice, w.helper} {
		go func() { c.Wait(); done <- struct{}{} }()
	}
	<-done
	w.dead.Store(true)
	syscall.Kill(-w.pgid, syscall.SIGKILL)
	<-done
	close(w.waited)
}

// call sends one request and waits for its answer, passing progress lines
// to progress. When ctx ends first the worker is killed: a UNO call cannot
// be interrupted, and a hung soffice must not keep its slot.
func (w *worker) call(ctx context.Context, req request, progress func(int)) (message, error) {
	if w.dead.Load() {
		return message{}, enginepool.ErrWorkerLost
	}
	req.ID = w.nextID.Add(1)
	line, err := json.Marshal(req)
	if err != nil {
		return message{}, err
	}
	if testHookSend != nil {
		testHookSend(w, req)
	}
	if _, err := w.stdin.Write(append(line, '\n')); err != nil {
		w.kill()
		return message{}, fmt.Errorf("%w: write request: %v", enginepool.ErrWorkerLost, err)
	}
	for {
		select {
		case m, ok := <-w.msgs:
			if !ok {
				w.kill()
				return message{}, fmt.Errorf("%w: helper exited", enginepool.ErrWorkerLost)
			}
			if m.ID != req.ID {
				continue
			}
			if m.OK == nil {
				if progress != nil {
					progress(m.Progress)
				}
				continue
			}
			if !*m.OK {
				if m.Kind == "crash" {
					w.kill()
					return m, fmt.Errorf("%w: %s", enginepool.ErrWorkerLost, m.Error)
				}
				return m, &helperError{kind: m.Kind, msg: m.Error}
			}
			return m, nil
		case <-ctx.Done():
			w.kill()
			return message{}, ctx.Err()
		}
	}
}

// testHookSend, when set by a test, runs when a worker has taken a request,
// just before it is written to the helper.
var testHookSend func(w *worker, req request)

func (w *worker) kill() {
	w.dead.Store(true)
	syscall.Kill(-w.pgid, syscall.SIGKILL)
}

// Alive implements enginepool.Worker.
func (w *worker) Alive() bool { return !w.dead.Load() }

// RSS implements enginepool.Worker: the resident memory of soffice.
func (w *worker) RSS() int64 { return processRSS(w.pgid) }

// Close kills both processes, waits for them and removes the profile.
func (w *worker) Close() error {
	w.once.Do(func() {
		w.kill()
		if w.stdin != nil {
			w.stdin.Close()
		}
		<-w.waited
		os.RemoveAll(w.dir)
	})
	return nil
}

// processRSS reads VmRSS of pid from /proc, in bytes.
func processRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// tailBuffer keeps the last 2 KiB written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var _ enginepool.Worker = (*worker)(nil)

// startTimeoutDefault bounds a worker start, warm-up included.
const startTimeoutDefault = 60 * time.Second
