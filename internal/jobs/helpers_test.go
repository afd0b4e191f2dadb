package jobs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/archive"
	"github.com/signedgate/gateway/internal/engine/imagego"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/server"
)

// clock is a settable time source shared by the service and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a service with real engines, a fetch client, and an output
// store served over real HTTP.
type harness struct {
	reg     *prometheus.Registry
	workDir string
	svc     *Service
	out     *outputs.Store
	srv     *httptest.Server
	clock   *clock
}

type harnessOpts struct {
	cfg     Config
	policy  fetch.Policy
	engines []engine.Engine
	// log, when set, receives the service's log lines (all levels).
	log io.Writer
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	var err error
	h.out, err = outputs.New(outputs.Config{
		Backend:         outputs.Dir{Root: t.TempDir()},
		PublicURL:       h.srv.URL,
		Secret:          []byte("0123456789abcdef0123456789abcdef"),
		JanitorInterval: -1,
		Now:             h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.out.Close() })
	mux.Handle("GET /outputs/{id}/{name}", h.out.Handler())

	reg := engine.NewRegistry()
	for _, e := range o.engines {
		reg.Register(e)
	}
	reg.Register(imagego.New(imagego.Config{}))
	reg.Register(archive.Engine{})
	fc := fetch.NewClient(o.policy)
	t.Cleanup(fc.CloseIdleConnections)
	cfg := o.cfg
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	h.workDir = cfg.WorkDir
	h.reg = prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	if o.log != nil {
		log = slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h.svc = NewService(cfg, Deps{
		Registry: reg, Fetch: fc, Outputs: h.out, Now: h.clock.Now, Metrics: server.NewMetrics(h.reg),
		Log: log,
	})
	t.Cleanup(h.svc.Close)
	return h
}

// submit decodes a job's JSON and submits it.
func (h *harness) submit(t *testing.T, jobJSON string) *Handle {
	t.Helper()
	spec, err := jobspec.Decode([]byte(jobJSON))
	if err != nil {
		t.Fatalf("decode job: %v", err)
	}
	j, err := h.svc.Submit(spec)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return j
}

// run submits a job and waits for it to end.
func (h *harness) run(t *testing.T, jobJSON string) Status {
	t.Helper()
	return wait(t, h.submit(t, jobJSON))
}

func wait(t *testing.T, j *Handle) Status {
	t.Helper()
	select {
	case <-j.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("job %s did not end: %+v", j.ID(), j.Status())
	}
	return j.Status()
}

func taskByName(t *testing.T, s Status, name string) TaskStatus {
	t.Helper()
	for _, ts := range s.Tasks {
		if ts.Name == name {
			return ts
		}
	}
	t.Fatalf("no task %q in %+v", name, s)
	return TaskStatus{}
}

func code(ts TaskStatus) string {
	if ts.Code == nil {
		return ""
	}
	return *ts.Code
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// js marshals v for building job JSON in tests.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// get fetches url and returns the response with its body read.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp, b.Bytes()
}

// jobsMetric is gateway_jobs_total{operation, outcome}.
func (h *harness) jobsMetric(t *testing.T, op, outcome string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gateway_jobs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["operation"] == op && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// checkWorkDirEmpty fails when a job left files behind.
func (h *harness) checkWorkDirEmpty(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(h.workDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("work directory holds %d entries after the jobs ended", len(entries))
	}
}
