package jobs

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/server"
)

func TestQueueFull(t *testing.T) {
	eng := newBlockEngine()
	h := newHarness(t, harnessOpts{cfg: Config{Workers: 1, QueueSize: 1}, engines: []engine.Engine{eng}})
	first := h.submit(t, blockJob)
	<-eng.started // the worker holds the first job; the queue is empty
	second := h.submit(t, blockJob)
	if st := second.Status().Status; st != StatusWaiting {
		t.Errorf("queued job status %q, want waiting", st)
	}
	spec, _ := jobspec.Decode([]byte(blockJob))
	_, err := h.svc.Submit(spec)
	var ae *server.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || ae.Code != CodeQueueFull {
		t.Fatalf("third submit: %v, want 429 %s", err, CodeQueueFull)
	}
	if ra := ae.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	close(eng.release)
	for _, j := range []*Handle{first, second} {
		if s := wait(t, j); s.Status != StatusFinished {
			t.Errorf("job %s: %s %+v", j.ID(), s.Status, s)
		}
	}
	if got := h.svc.Started(); got != 2 {
		t.Errorf("Started() = %d, want 2", got)
	}
	if st, ok, err := h.svc.Get(context.Background(), first.ID()); !ok || err != nil || st.Status != StatusFinished {
		t.Errorf("Get of an ended job: %v %v %v", st.Status, ok, err)
	}
	if _, ok, _ := h.svc.Get(context.Background(), "nope"); ok {
		t.Errorf("Get found an unknown job")
	}
}

func TestSubmitRefusesInvalidJob(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	spec, _ := jobspec.Decode([]byte(`{"tasks":{"a":{"operation":"import/raw","file":"x","filename":"a.txt"}}}`))
	_, err := h.svc.Submit(spec)
	var ae *server.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "INVALID_DATA" || !strings.Contains(ae.Message, "export/url") {
		t.Fatalf("got %v, want 400 INVALID_DATA naming export/url", err)
	}
	if h.svc.Started() != 0 {
		t.Errorf("an invalid job ran")
	}
}

func TestTimeouts(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"task", Config{TaskTimeout: 20 * time.Millisecond, JobTimeout: time.Hour}, "the task took longer than 20ms"},
		{"job", Config{TaskTimeout: time.Hour, JobTimeout: 20 * time.Millisecond}, "the job took longer than 20ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := newBlockEngine() // never released: only the deadline ends it
			h := newHarness(t, harnessOpts{cfg: tt.cfg, engines: []engine.Engine{eng}})
			s := h.run(t, blockJob)
			c := taskByName(t, s, "c")
			if code(c) != CodeTimeout || *c.Message != tt.want {
				t.Errorf("convert task: %s %v, want %s %q", code(c), c.Message, CodeTimeout, tt.want)
			}
			if code(taskByName(t, s, "out")) != CodeInputTaskFailed {
				t.Errorf("export: %s", code(taskByName(t, s, "out")))
			}
			if got := s.FailureHTTPStatus(); got != http.StatusGatewayTimeout {
				t.Errorf("FailureHTTPStatus = %d", got)
			}
		})
	}
}

func TestCloseCancelsJobs(t *testing.T) {
	eng := newBlockEngine()
	h := newHarness(t, harnessOpts{cfg: Config{Workers: 1, QueueSize: 4}, engines: []engine.Engine{eng}})
	running := h.submit(t, blockJob)
	<-eng.started
	queued := h.submit(t, blockJob)
	h.svc.Close()
	for _, j := range []*Handle{running, queued} {
		s := wait(t, j)
		if !s.Failed() {
			t.Fatalf("job survived Close: %+v", s)
		}
		if got := s.FailureHTTPStatus(); got != http.StatusServiceUnavailable {
			t.Errorf("FailureHTTPStatus = %d, want 503", got)
		}
	}
	if code(taskByName(t, running.Status(), "c")) != CodeCancelled {
		t.Errorf("running task: %s", code(taskByName(t, running.Status(), "c")))
	}
	spec, _ := jobspec.Decode([]byte(blockJob))
	if _, err := h.svc.Submit(spec); server.AsError(err).Status != http.StatusServiceUnavailable {
		t.Errorf("submit after Close: %v", err)
	}
}

func TestEnginePanicFailsTheTask(t *testing.T) {
	h := newHarness(t, harnessOpts{engines: []engine.Engine{panicEngine{}}})
	s := h.run(t, strings.Replace(blockJob, `"output_format":"out"`, `"output_format":"boom"`, 1))
	c := taskByName(t, s, "c")
	if code(c) != CodeInternal || strings.Contains(*c.Message, "secret") {
		t.Errorf("task: %s %q", code(c), *c.Message)
	}
	if s.FailureHTTPStatus() != http.StatusInternalServerError {
		t.Errorf("FailureHTTPStatus = %d", s.FailureHTTPStatus())
	}
	// The worker survived: another job runs.
	if s := h.run(t, `{"tasks":{"a":{"operation":"import/raw","file":"x","filename":"a.txt"},"out":{"operation":"export/url","input":"a"}}}`); s.Failed() {
		t.Errorf("next job: %+v", s)
	}
}
