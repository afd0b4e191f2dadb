// Package enginepool owns the supervision of warm engine processes: a fixed
// number of slots, each holding one worker (a process or process group that
// takes one job at a time), started in parallel, handed to jobs from a queue,
// recycled after a number of jobs or when their memory grows, replaced when a
// job kills or hangs them, and all shut down on Close.
//
// It knows nothing about what a worker does; engines such as the office
// engine supply a StartFunc and drive the worker inside the job function.
package enginepool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrWorkerLost is wrapped by a job's error when the worker died under the
// job (the process crashed or stopped answering). The pool then replaces the
// worker and runs the job once more on another worker.
var ErrWorkerLost = errors.New("engine process lost")

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("engine pool closed")

// Worker is one warm engine process.
type Worker interface {
	// Alive reports whether the worker may take another job.
	Alive() bool
	// RSS is the resident memory of the worker's processes in bytes, or 0
	// when unknown.
	RSS() int64
	// Close kills the worker's processes and releases what it holds. It is
	// safe to call more than once and concurrently with a job.
	Close() error
}

// StartFunc starts the worker for a slot; it returns once the worker is
// ready for a job, or fails. It must give up when ctx is done.
type StartFunc[W Worker] func(ctx context.Context, slot int) (W, error)

// Config sizes a pool.
type Config struct {
	// Name appears in log lines and errors ("libreoffice").
	Name string
	// Slots is the number of workers; at least 1.
	Slots int
	// MaxJobs recycles a worker after that many jobs; 0 means never.
	MaxJobs int
	// MaxRSS recycles a worker whose RSS exceeds it after a job; 0 means
	// never.
	MaxRSS int64
	Logger *slog.Logger
	// OnStart, if set, is called after every attempt to start a slot's
	// worker, with the error of a failed attempt. Tests await restarts
	// with it; it must not block.
	OnStart func(slot int, err error)
}

// Pool hands workers to jobs, one job per worker at a time.
type Pool[W Worker] struct {
	cfg   Config
	start StartFunc[W]
	log   *slog.Logger

	idle   chan *slot[W]
	ctx    context.Context // cancelled by Close; bounds every start
	cancel context.CancelFunc
	wg     sync.WaitGroup // restart goroutines

	mu      sync.Mutex
	slots   []*slot[W]
	alive   int           // slots holding a live worker, idle or busy
	lastErr error         // last start failure, nil after a success
	wake    chan struct{} // closed and replaced when alive or lastErr change
	closed  bool
	started bool
}

type slot[W Worker] struct {
	id     int
	w      W
	has    bool
	jobs   int
	starts int
}

// New returns a pool that has not started any worker yet.
func New[W Worker](cfg Config, start StartFunc[W]) *Pool[W] {
	if cfg.Slots < 1 {
		cfg.Slots = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool[W]{
		cfg: cfg, start: start, log: cfg.Logger.With("engine", cfg.Name),
		idle: make(chan *slot[W], cfg.Slots), ctx: ctx, cancel: cancel,
		wake: make(chan struct{}),
	}
	for i := range cfg.Slots {
		p.slots = append(p.slots, &slot[W]{id: i})
	}
	return p
}

// Start starts every slot in parallel and waits for them. It fails only
// when no worker at all could be started (the engine is unusable); slots
// that failed keep being retried in the background. Calling it again is a
// no-op.
func (p *Pool[W]) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if p.started {
		p.mu.Unlock()
		return nil
	}
	p.started = true
	p.mu.Unlock()

	errs := make([]error, len(p.slots))
	var wg sync.WaitGroup
	for i, s := range p.slots {
		wg.Go(func() { errs[i] = p.startSlot(ctx, s) })
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			p.replace(p.slots[i], nil)
		}
	}
	if failed == len(p.slots) {
		return fmt.Errorf("start %s: %w", p.cfg.Name, errors.Join(errs...))
	}
	return nil
}

// startSlot starts s's worker and puts s in the idle queue.
func (p *Pool[W]) startSlot(ctx context.Context, s *slot[W]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	began := time.Now()
	w, err := p.start(ctx, s.id)
	if p.cfg.OnStart != nil {
		defer p.cfg.OnStart(s.id, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.lastErr = err
		p.broadcast()
		p.log.Warn("engine process failed to start", "slot", s.id, "err", err)
		return err
	}
	if p.closed {
		w.Close()
		return ErrClosed
	}
	s.w, s.has, s.jobs = w, true, 0
	s.starts++
	p.alive++
	p.lastErr = nil
	p.log.Debug("engine process ready", "slot", s.id, "ms", time.Since(began).Milliseconds())
	p.idle <- s
	return nil
}

// replace closes s's worker, if any, and starts a new one in the
// background, retrying with a growing pause while starts fail.
func (p *Pool[W]) replace(s *slot[W], old *W) {
	p.mu.Lock()
	if old != nil && s.has {
		s.has = false
		p.alive--
		p.broadcast()
	}
	if p.closed {
		p.mu.Unlock()
		if old != nil {
			(*old).Close()
		}
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		if old != nil {
			(*old).Close()
		}
		pause := 100 * time.Millisecond
		for p.ctx.Err() == nil {
			if p.startSlot(p.ctx, s) == nil {
				return
			}
			select {
			case <-p.ctx.Done():
			case <-time.After(pause):
			}
			pause = min(pause*2, 10*time.Second)
		}
	}()
}

func (p *Pool[W]) broadcast() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// acquire takes an idle slot, waiting in line for one.
func (p *Pool[W]) acquire(ctx context.Context) (*slot[W], error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		if p.alive == 0 && p.lastErr != nil {
			err := p.lastErr
			p.mu.Unlock()
			return nil, fmt.Errorf("no %s process is running: %w", p.cfg.Name, err)
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case s := <-p.idle:
			return s, nil
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release puts s back in line, or replaces its worker when it died, did
// its share of jobs, or grew too big.
func (p *Pool[W]) release(s *slot[W]) {
	w := s.w
	s.jobs++
	reason := ""
	switch {
	case !w.Alive():
		reason = "lost"
	case p.cfg.MaxJobs > 0 && s.jobs >= p.cfg.MaxJobs:
		reason = "max jobs"
	case p.cfg.MaxRSS > 0 && w.RSS() > p.cfg.MaxRSS:
		reason = "max rss"
	}
	if reason == "" {
		p.idle <- s
		return
	}
	p.log.Info("replacing engine process", "slot", s.id, "reason", reason, "jobs", s.jobs)
	p.replace(s, &w)
}

// Do runs job on an idle worker, waiting for one as long as ctx allows.
// When job fails with ErrWorkerLost, the worker is replaced and job runs
// once more on another worker; the second error is returned as is.
func (p *Pool[W]) Do(ctx context.Context, job func(ctx context.Context, w W) error) error {
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var s *slot[W]
		s, err = p.acquire(ctx)
		if err != nil {
			return err
		}
		err = job(ctx, s.w)
		p.release(s)
		if !errors.Is(err, ErrWorkerLost) || ctx.Err() != nil {
			return err
		}
		if attempt > 0 {
			p.log.Warn("engine process lost again during the job's retry; giving up", "slot", s.id, "err", err)
			break
		}
		p.log.Warn("engine process lost during a job; retrying once", "slot", s.id, "err", err)
	}
	return err
}

// Stats is a snapshot of the pool.
type Stats struct {
	Slots, Alive, Idle int
	// Starts counts successful worker starts, first ones included.
	Starts int
}

// Stats reports the pool's current state.
func (p *Pool[W]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{Slots: len(p.slots), Alive: p.alive, Idle: len(p.idle)}
	for _, s := range p.slots {
		st.Starts += s.starts
	}
	return st
}

// Close stops restarts and kills every worker, busy ones included (their
// jobs fail), and waits for background starts to end.
func (p *Pool[W]) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.broadcast()
	var live []W
	for _, s := range p.slots {
		if s.has {
			live = append(live, s.w)
		}
	}
	p.mu.Unlock()
	p.cancel()
	var errs []error
	for _, w := range live {
		errs = append(errs, w.Close())
	}
	p.wg.Wait()
	return errors.Join(errs...)
}
