// Package jobs owns running conversion jobs: a bounded queue and a fixed
// number of workers (a full queue is refused with 429), the task graph of
// each job run in order, each operation (imports, engine operations,
// archive, export/url, the S3 imports and exports), timeouts, the job's work directory, and the status
// snapshot in the API's JSON shape. Decoding and validating the payload is
// jobspec's; converting is the engines'; keeping and serving the exported
// files is outputs'.
package jobs

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/server"
)

// Defaults for zero Config fields.
const (
	DefaultQueueSize   = 64
	DefaultTaskTimeout = 5 * time.Minute
	DefaultJobTimeout  = 15 * time.Minute
)

// Retention of ended jobs for Get: long enough for a client to poll the
// status of a job it just ran; maxKept bounds memory under a flood.
const (
	retention = time.Hour
	maxKept   = 10000
)

// CodeQueueFull is the code of a submit refused because the queue is full.
const CodeQueueFull = "QUEUE_FULL"

// Config bounds the service.
type Config struct {
	// Workers is the number of jobs run at once (default: number of CPUs).
	Workers int
	// QueueSize is the number of jobs that may wait for a worker.
	QueueSize int
	// TaskTimeout bounds each task, JobTimeout the whole job.
	TaskTimeout, JobTimeout time.Duration
	// WorkDir holds each running job's scratch directory.
	WorkDir string
}

// Deps are what the service uses.
type Deps struct {
	Registry *engine.Registry
	Fetch    *fetch.Client
	Outputs  *outputs.Store
	Metrics  *server.Metrics // may be nil
	Now      func() time.Time
	Log      *slog.Logger
}

// Service runs jobs. It is safe for concurrent use.
type Service struct {
	cfg  Config
	deps Deps

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	queue  chan *Job
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	jobs   map[string]*Job

	// s3Transport carries the S3 tasks' requests under the fetch policy;
	// nil without Deps.Fetch.
	s3Transport *http.Transport
	s3HTTP      *http.Client

	started atomic.Int64
}

// NewService starts cfg.Workers workers.
func NewService(cfg Config, deps Deps) *Service {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.QueueSize < 0 {
		cfg.QueueSize = 0
	} else if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.TaskTimeout <= 0 {
		cfg.TaskTimeout = DefaultTaskTimeout
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = filepath.Join(os.TempDir(), "gateway-jobs")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.Registry == nil {
		deps.Registry = engine.NewRegistry()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, deps: deps, ctx: ctx, cancel: cancel,
		queue: make(chan *Job, cfg.QueueSize),
		jobs:  map[string]*Job{},
	}
	if deps.Fetch != nil {
		s.s3Transport, s.s3HTTP = newS3HTTP(deps.Fetch)
	}
	s.wg.Add(cfg.Workers)
	for range cfg.Workers {
		go s.worker()
	}
	return s
}

// Submit validates job and queues it. A full queue is refused with a 429
// *server.Error (code QUEUE_FULL, Retry-After); an invalid job with 400.
// Queued jobs always run: the worker limit, not the caller, decides when.
func (s *Service) Submit(job *jobspec.Job) (*Job, error) {
	if err := jobspec.Validate(job); err != nil {
		if e, ok := server.PublicError(err); ok {
			return nil, e
		}
		return nil, server.Invalid("%s", err.Error())
	}
	j := newJob(job, s.deps.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, server.Errorf(http.StatusServiceUnavailable, server.CodeUnavailable, "the gateway is shutting down").
			WithHeader("Retry-After", "5")
	}
	select {
	case s.queue <- j:
	default:
		return nil, server.Errorf(http.StatusTooManyRequests, CodeQueueFull,
			"too many jobs are waiting (%d queued, %d running); retry later", len(s.queue), s.cfg.Workers).
			WithHeader("Retry-After", strconv.Itoa(s.retryAfter()))
	}
	s.pruneLocked()
	s.jobs[j.id] = j
	return j, nil
}

// retryAfter suggests seconds to wait: a fraction of a task's timeout, so
// clients neither hammer a busy gateway nor wait for nothing.
func (s *Service) retryAfter() int {
	return int(min(max(s.cfg.TaskTimeout/10, time.Second), 30*time.Second) / time.Second)
}

// Get returns a job of this instance: queued, running, or ended within the
// retention period.
func (s *Service) Get(id string) (*Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	return j, ok
}

// Started is the number of jobs workers have begun to run.
func (s *Service) Started() int64 { return s.started.Load() }

// Close stops accepting jobs, cancels running and queued ones (their tasks
// end with CANCELLED) and waits for the workers.
func (s *Service) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.s3Transport != nil {
		s.s3Transport.CloseIdleConnections()
	}
}

// pruneLocked forgets jobs that ended more than retention ago, and the
// ended ones beyond maxKept (any of them: a flood is no time to sort).
func (s *Service) pruneLocked() {
	now := s.deps.Now()
	for id, j := range s.jobs {
		if end, ok := j.endedAt(); ok && (now.Sub(end) > retention || len(s.jobs) > maxKept) {
			delete(s.jobs, id)
		}
	}
}

func (s *Service) worker() {
	defer s.wg.Done()
	for j := range s.queue {
		s.started.Add(1)
		s.runSafely(j)
	}
}

// runSafely runs j and, should the runner itself panic, fails the tasks
// left and ends the job, so nobody waits on Done forever and the worker
// lives on.
func (s *Service) runSafely(j *Job) {
	defer func() {
		if r := recover(); r != nil {
			s.deps.Log.Error("job runner panicked", "job_id", j.id, "panic", r)
			j.abort(s.deps.Now(), CodeInternal, "the gateway failed to run the job")
		}
	}()
	s.run(j)
}
