// Package jobs owns running conversion jobs: submitting them to the job
// queue (a full queue is refused with 429), the workers that take them from
// it with a lease they renew, a bounded number of attempts, the task graph of
// each job run in order, each operation (imports, engine operations,
// archive, export/url, the S3 imports and exports), timeouts, the job's work
// directory, and the status in the API's JSON shape, kept where every
// instance reads it. Decoding and validating the payload is jobspec's;
// converting is the engines'; keeping and serving the exported files is
// outputs'; the queue and the shared states are queue's and jobstate's.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/jobstate"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/queue"
	"github.com/signedgate/gateway/internal/server"
)

// Defaults for zero Config fields.
const (
	DefaultQueueSize   = 64
	DefaultTaskTimeout = 5 * time.Minute
	DefaultJobTimeout  = 15 * time.Minute
	DefaultLease       = 30 * time.Second
	DefaultMaxAttempts = 3
)

// retention is how long an ended job's status stays readable: long enough
// for a client to poll the status of a job it just ran.
const retention = time.Hour

// CodeQueueFull is the code of a submit refused because the queue is full.
const CodeQueueFull = "QUEUE_FULL"

// Config bounds the service.
type Config struct {
	// Workers is the number of jobs this instance runs at once; 0 runs
	// none (an edge that only submits, on a shared queue).
	Workers int
	// QueueSize bounds the jobs queued or running.
	QueueSize int
	// TaskTimeout bounds each task, JobTimeout the whole job.
	TaskTimeout, JobTimeout time.Duration
	// WorkDir holds each running job's scratch directory.
	WorkDir string
	// Lease is how long a job stays with a worker that stopped renewing
	// its lease before another worker takes it over; MaxAttempts bounds
	// how often a job is begun.
	Lease       time.Duration
	MaxAttempts int
	// Poll is how often a submitted job's state is read when no change was
	// signalled (1 s): a lost signal costs at most that.
	Poll time.Duration
	// Name names this process's workers on the queue (queue consumers
	// "<Name>-<n>"); empty: the host name and the process id.
	Name string
}

// Deps are what the service uses.
type Deps struct {
	Registry *engine.Registry
	// Catalog names the engine families jobs need (see Needs): every
	// engine the gateway knows, installed here or not. Nil: Registry.
	Catalog *engine.Registry
	Fetch   *fetch.Client
	Outputs *outputs.Store
	// Queue carries jobs to workers; States keeps their statuses. Nil:
	// in-process ones.
	Queue   queue.Queue
	States  jobstate.Store
	Metrics *server.Metrics // may be nil
	Now     func() time.Time
	Log     *slog.Logger
}

// Service submits jobs and, with workers, runs them. It is safe for
// concurrent use.
type Service struct {
	cfg     Config
	deps    Deps
	classes []string // the queue classes this instance's workers take

	// ctx is cancelled by Close: running jobs end, waiting handles give up.
	ctx    context.Context
	cancel context.CancelFunc
	// takeCtx stops the workers from taking jobs (Shutdown).
	takeCtx  context.Context
	stopTake context.CancelFunc
	wg       sync.WaitGroup
	// handBack is set when Shutdown ran out of time: the jobs it cancels
	// go back to the queue for another worker.
	handBack atomic.Bool

	mu      sync.Mutex
	closed  bool
	handles map[*Handle]struct{} // submitted here, not ended

	// s3Transport carries the S3 tasks' requests under the fetch policy;
	// nil without Deps.Fetch.
	s3Transport *http.Transport
	s3HTTP      *http.Client

	started, running atomic.Int64
}

// NewService starts cfg.Workers workers on the queue.
func NewService(cfg Config, deps Deps) *Service {
	if cfg.Workers < 0 {
		cfg.Workers = 0
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.TaskTimeout <= 0 {
		cfg.TaskTimeout = DefaultTaskTimeout
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = filepath.Join(os.TempDir(), "gateway-jobs")
	}
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = host + "-" + strconv.Itoa(os.Getpid())
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
	if deps.Catalog == nil {
		deps.Catalog = deps.Registry
	}
	if deps.Queue == nil {
		// In one process, running jobs are the bound's concern too: the
		// queue holds QueueSize jobs waiting besides those running.
		deps.Queue = queue.NewMemory(cfg.Lease, int64(cfg.QueueSize+cfg.Workers))
	}
	if deps.States == nil {
		deps.States = jobstate.NewMemory()
	}
	ctx, cancel := context.WithCancel(context.Background())
	takeCtx, stopTake := context.WithCancel(ctx)
	s := &Service{
		cfg: cfg, deps: deps, ctx: ctx, cancel: cancel, takeCtx: takeCtx, stopTake: stopTake,
		handles: map[*Handle]struct{}{},
	}
	s.classes = queue.Classes(s.families())
	if deps.Fetch != nil {
		s.s3Transport, s.s3HTTP = newS3HTTP(deps.Fetch)
	}
	s.wg.Add(cfg.Workers)
	for i := range cfg.Workers {
		go s.work(cfg.Name + "-" + strconv.Itoa(i+1))
	}
	return s
}

// families are the engine families whose jobs this instance's workers
// take: those of its engines on a shared queue, where other workers may
// have the others. An in-process queue has no other worker: it takes every
// job, and one that needs a missing engine fails with the message naming
// its package instead of waiting forever.
func (s *Service) families() []string {
	families := s.deps.Registry.Families()
	if !s.inProcess() {
		return families
	}
	for _, reg := range []*engine.Registry{s.deps.Registry, s.deps.Catalog} {
		for _, m := range reg.Missing() {
			families = append(families, m.Engine)
		}
		families = append(families, reg.Families()...)
	}
	return families
}

// Submit validates job, records its first status and queues it. A full
// queue is refused with a 429 *server.Error (code QUEUE_FULL, Retry-After);
// an invalid job with 400; a queue that cannot be reached with 503.
func (s *Service) Submit(job *jobspec.Job) (*Handle, error) {
	if err := jobspec.Validate(job); err != nil {
		if e, ok := server.PublicError(err); ok {
			return nil, e
		}
		return nil, server.Invalid("%s", err.Error())
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, server.Errorf(http.StatusServiceUnavailable, server.CodeUnavailable, "the gateway is shutting down").
			WithHeader("Retry-After", "5")
	}
	j := newJob(job, s.deps.Now())
	payload, err := encodePayload(job, j.Status())
	if err != nil {
		return nil, server.WrapError(err, http.StatusInternalServerError, CodeInternal, "the gateway could not queue the job")
	}
	h := newHandle(j.Status())
	// Watch before the first state is written: no change is missed.
	states, stop := s.deps.States.Watch(j.id)
	ctx := s.ctx
	if err := s.putState(ctx, j, 0, false); err != nil {
		stop()
		return nil, s.unavailable(err)
	}
	err = s.deps.Queue.Enqueue(ctx, queue.Job{
		ID: j.id, Needs: Needs(s.deps.Catalog, job), Payload: payload, Enqueued: s.deps.Now(),
	})
	if err != nil {
		stop()
		if errors.Is(err, queue.ErrFull) {
			depth, _ := s.deps.Queue.Depth(ctx)
			return nil, server.Errorf(http.StatusTooManyRequests, CodeQueueFull,
				"too many jobs are queued or running (%d); retry later", depth).
				WithHeader("Retry-After", strconv.Itoa(s.retryAfter()))
		}
		return nil, s.unavailable(err)
	}
	s.mu.Lock()
	s.handles[h] = struct{}{}
	s.mu.Unlock()
	go s.follow(h, states, stop)
	return h, nil
}

func (s *Service) unavailable(err error) error {
	if _, ok := server.PublicError(err); ok {
		return err
	}
	return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
		"the job queue is unavailable; retry shortly").WithHeader("Retry-After", "1")
}

// retryAfter suggests seconds to wait: a fraction of a task's timeout, so
// clients neither hammer a busy gateway nor wait for nothing.
func (s *Service) retryAfter() int {
	return int(min(max(s.cfg.TaskTimeout/10, time.Second), 30*time.Second) / time.Second)
}

// Get returns a job's status, whichever instance submitted or runs it:
// queued, running, or ended within the retention period.
func (s *Service) Get(ctx context.Context, id string) (Status, bool, error) {
	st, ok, err := s.deps.States.Get(ctx, id)
	if err != nil || !ok {
		return Status{}, ok, err
	}
	status, err := decodeStatus(st.Status)
	if err != nil {
		return Status{}, false, err
	}
	return status, true, nil
}

// Started is the number of jobs this instance's workers have begun.
func (s *Service) Started() int64 { return s.started.Load() }

// Workers is the number of jobs this instance runs at once.
func (s *Service) Workers() int { return s.cfg.Workers }

// Running is the number of jobs this instance runs now.
func (s *Service) Running() int { return int(s.running.Load()) }

// Shutdown stops taking jobs and waits, until ctx ends, for the running
// ones to finish. Those still running then are cancelled and handed back
// to the queue, where another worker takes them at once (an in-process
// queue has no other worker: they end with CANCELLED).
func (s *Service) Shutdown(ctx context.Context) {
	s.stopTake()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.handBack.Store(true)
		s.cancel()
		<-done
	}
}

// Close stops accepting jobs, hands back or cancels the running ones (see
// Shutdown), answers the handles still waiting with CANCELLED, and waits
// for the workers.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Shutdown(ctx)
	s.cancel()
	s.mu.Lock()
	for h := range s.handles {
		h.abort(s.deps.Now(), CodeCancelled, "the gateway shut down before the job ended")
	}
	s.mu.Unlock()
	if s.s3Transport != nil {
		s.s3Transport.CloseIdleConnections()
	}
}

// putState writes j's status as attempt wrote it, final or not. The state
// lives as long as the job may still run, then for the retention period.
func (s *Service) putState(ctx context.Context, j *Job, attempt int, final bool) error {
	body, err := encodeStatus(j.Status())
	if err != nil {
		return err
	}
	ttl := retention
	if !final {
		ttl += time.Duration(s.cfg.MaxAttempts) * (s.cfg.JobTimeout + s.cfg.Lease)
	}
	_, err = s.deps.States.Put(ctx, j.id, jobstate.State{Status: body, Final: final, Attempt: attempt}, ttl)
	if err != nil {
		return fmt.Errorf("jobs: write the state of job %s: %w", j.id, err)
	}
	return nil
}
