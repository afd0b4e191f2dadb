package signedurl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store/filestore"
)

const testToken = "test-admin-token-0123456789"

// fakeStatus is a job status with the methods the handler reads.
type fakeStatus struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Location string `json:"-"`
	Code     int    `json:"-"`
}

func (s fakeStatus) RedirectURL() (string, bool) { return s.Location, s.Location != "" }
func (s fakeStatus) Failed() bool                { return s.Status == "error" }
func (s fakeStatus) FailureHTTPStatus() int      { return s.Code }

// fakeJob ends when release is closed (at once when the runner says so).
type fakeJob struct {
	id      string
	spec    *jobspec.Job
	release chan struct{}
	fail    bool
}

func (j *fakeJob) ID() string            { return j.id }
func (j *fakeJob) Done() <-chan struct{} { return j.release }
func (j *fakeJob) Status() Status {
	if !isClosed(j.release) {
		return fakeStatus{ID: j.id, Status: "processing"}
	}
	if j.fail {
		return fakeStatus{ID: j.id, Status: "error", Code: http.StatusUnprocessableEntity}
	}
	return fakeStatus{ID: j.id, Status: "finished", Location: "http://outputs.test/" + j.id + "/out.jpg"}
}

// fakeRunner records every submitted job.
type fakeRunner struct {
	mu   sync.Mutex
	jobs []*fakeJob
	// hold keeps jobs running until the test releases them.
	hold bool
	fail bool
}

func (r *fakeRunner) Submit(spec *jobspec.Job) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := &fakeJob{id: fmt.Sprintf("job-%d", len(r.jobs)+1), spec: spec, release: make(chan struct{}), fail: r.fail}
	if !r.hold {
		close(j.release)
	}
	r.jobs = append(r.jobs, j)
	return j, nil
}

func (r *fakeRunner) Lookup(_ context.Context, id string) (json.RawMessage, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range r.jobs {
		if j.id == id {
			raw, err := json.Marshal(j.Status())
			return raw, true, err
		}
	}
	return nil, false, nil
}

func (r *fakeRunner) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.jobs)
}

// harness is a gateway with the real bases, admin API, router and cache,
// and a fake job runner, on a real socket.
type harness struct {
	srv     *httptest.Server
	runner  *fakeRunner
	handler *Handler
	metrics *server.Metrics
}

func newHarness(t testing.TB, debug bool) *harness {
	t.Helper()
	st, err := filestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	repo := NewRepo(st)
	t.Cleanup(repo.Close)
	m := server.NewMetrics(prometheus.NewRegistry())
	mux := http.NewServeMux()
	api := &API{Repo: repo, Now: time.Now}
	api.Register(admin.NewRouter(mux, testToken, 1<<20))
	h := &Handler{Repo: repo, Runner: &fakeRunner{}, Cache: cache.NewMemory(cache.Options{}),
		Wait: 5 * time.Second, Debug: debug, Metrics: m}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux.Handle(StatusPattern, h.StatusHandler())
	srv := httptest.NewServer(server.Handler(server.Routes{Mux: mux, Paths: []server.Router{h}}, log, m, nil))
	t.Cleanup(srv.Close)
	api.PublicURL = srv.URL
	return &harness{srv: srv, runner: h.Runner.(*fakeRunner), handler: h, metrics: m}
}

// admin calls the admin API and decodes the answer into out.
func (h *harness) admin(t testing.TB, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (h *harness) createBase(t testing.TB, req map[string]string) Base {
	t.Helper()
	var out struct {
		Base Base `json:"signed_url_base"`
	}
	if code := h.admin(t, "POST", "/v1/signed-url-bases", req, &out); code != http.StatusCreated {
		t.Fatalf("create base %v: status %d", req, code)
	}
	return out.Base
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type answer struct {
	status int
	header http.Header
	body   []byte
	err    struct{ Message, Code string }
}

func get(t testing.TB, method, url string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(a.body, &a.err)
	return a
}

func (h *harness) refusals(code string) float64 {
	return counterValue(h.metrics.Refusals.WithLabelValues(FlowName, code))
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}
