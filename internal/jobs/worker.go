package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/queue"
)

// payload is a queued job: the job as submitted and its first status, so
// that the worker shows the job and task ids the submitter answered with.
type payload struct {
	Spec   json.RawMessage `json:"spec"`
	Status Status          `json:"status"`
}

func encodePayload(spec *jobspec.Job, st Status) ([]byte, error) {
	raw, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	return json.Marshal(payload{Spec: raw, Status: st})
}

func decodePayload(b []byte) (*jobspec.Job, Status, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, Status{}, err
	}
	spec, err := jobspec.Decode(p.Spec)
	if err == nil {
		err = jobspec.Validate(spec)
	}
	if err != nil {
		return nil, Status{}, err
	}
	mismatch := errors.New("the queued status does not match the job")
	if p.Status.ID == "" || len(p.Status.Tasks) != len(spec.Tasks) {
		return nil, Status{}, mismatch
	}
	for _, t := range p.Status.Tasks {
		if spec.Task(t.Name) == nil {
			return nil, Status{}, mismatch
		}
	}
	return spec, p.Status, nil
}

func encodeStatus(st Status) ([]byte, error) { return json.Marshal(st) }

func decodeStatus(b []byte) (Status, error) {
	var st Status
	err := json.Unmarshal(b, &st)
	return st, err
}

// publishEvery bounds how often a running job's progress is written.
const publishEvery = 100 * time.Millisecond

// errLeaseLost ends a run whose job another worker took over.
var errLeaseLost = errors.New("the job's lease was lost")

// takeRetry bounds the wait between reads of a queue that cannot be read:
// a worker takes jobs again within it of Redis's return. Retrying often
// costs little: while Redis is down, the breaker refuses a read at once.
const takeRetry = 200 * time.Millisecond

// work takes jobs this instance can run, one at a time, until Shutdown.
func (s *Service) work(consumer string) {
	defer s.wg.Done()
	backoff, failing := 50*time.Millisecond, false
	for {
		l, err := s.deps.Queue.Take(s.takeCtx, consumer, s.classes)
		if s.takeCtx.Err() != nil {
			if err == nil {
				s.release(l) // taken as the shutdown began: another worker's
			}
			return
		}
		if err != nil {
			if !failing {
				s.deps.Log.Warn("the job queue cannot be read; retrying", "consumer", consumer, "err", err)
				failing = true
			}
			select {
			case <-s.takeCtx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, takeRetry)
			continue
		}
		if failing {
			s.deps.Log.Info("the job queue answers again", "consumer", consumer)
		}
		backoff, failing = 50*time.Millisecond, false
		s.runLease(l)
	}
}

// inProcess reports whether the queue is this process's own: a job it
// stops has no other worker to go to.
func (s *Service) inProcess() bool {
	_, ok := s.deps.Queue.(*queue.Memory)
	return ok
}

func (s *Service) release(l queue.Lease) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Release(ctx); err != nil && !errors.Is(err, queue.ErrLeaseLost) {
		s.deps.Log.Warn("hand a job back to the queue", "job_id", l.Job().ID, "err", err)
	}
}

// runLease runs the job of l, unless it was begun too often already, keeps
// the lease while it runs, and reports the result: the final state, then
// the acknowledgement. A job whose lease was lost is dropped here (another
// worker runs it); one cut short by a shutdown goes back to the queue.
func (s *Service) runLease(l queue.Lease) {
	qj := l.Job()
	log := s.deps.Log.With("job_id", qj.ID, "attempt", qj.Attempt)
	spec, st, err := decodePayload(qj.Payload)
	if err != nil {
		log.Error("a queued job cannot be read; it is dropped", "err", err)
		s.ack(l, nil)
		return
	}
	j := restoreJob(spec, st)
	m := s.deps.Metrics
	if m != nil {
		attempt := strconv.Itoa(qj.Attempt)
		if qj.Attempt > s.cfg.MaxAttempts {
			attempt = "over"
		}
		m.JobAttempts.WithLabelValues(attempt).Inc()
		if qj.Attempt == 1 {
			m.JobQueueWait.Observe(s.deps.Now().Sub(qj.Enqueued).Seconds())
		} else {
			m.JobTakeovers.Inc()
		}
	}
	runCtx, cancel := context.WithCancelCause(s.ctx)
	defer cancel(nil)
	k := s.keepLease(l, cancel)
	defer k.stop()

	if qj.Attempt > s.cfg.MaxAttempts {
		log.Warn("a job reached its maximum of attempts; it ends failed", "max_attempts", s.cfg.MaxAttempts)
		j.abort(s.deps.Now(), CodeTooManyAttempts, fmt.Sprintf(
			"the job was begun %d times, each time on a worker that stopped while it ran; it is not tried again", s.cfg.MaxAttempts))
		s.report(l, j, qj.Attempt, k)
		return
	}
	if cur, ok, err := s.deps.States.Get(runCtx, qj.ID); err == nil && ok && cur.Final {
		s.ack(l, k) // its result was written before the last worker stopped
		return
	}
	if qj.Attempt > 1 {
		log.Info("a job is taken over from a worker that stopped renewing its lease")
	}
	s.started.Add(1)
	s.running.Add(1)
	defer s.running.Add(-1)
	if m != nil {
		m.JobsRunning.Inc()
		defer m.JobsRunning.Dec()
	}
	stopPublishing := s.publish(j, qj.Attempt, k)
	s.runSafely(runCtx, j)
	stopPublishing()
	switch {
	case k.takenOver() || (k.lost() && cut(j)):
		log.Info("the job's lease was lost while it ran; this run's result is dropped")
	case runCtx.Err() != nil && s.handBack.Load() && !s.inProcess():
		k.stop()
		s.release(l)
		log.Info("the job went back to the queue at shutdown")
	default:
		s.report(l, j, qj.Attempt, k)
	}
}

// cut reports whether j's run was cut short: a task ended CANCELLED.
func cut(j *Job) bool {
	for _, t := range j.Status().Tasks {
		if t.Code != nil && *t.Code == CodeCancelled {
			return true
		}
	}
	return false
}

// runSafely runs j and, should the runner itself panic, fails the tasks
// left and ends the job, so nobody waits forever and the worker lives on.
func (s *Service) runSafely(ctx context.Context, j *Job) {
	defer func() {
		if r := recover(); r != nil {
			s.deps.Log.Error("job runner panicked", "job_id", j.id, "panic", r)
			j.abort(s.deps.Now(), CodeInternal, "the gateway failed to run the job")
		}
	}()
	s.run(ctx, j)
}

// publish writes j's status as it changes, at most every publishEvery,
// until the returned func is called (it waits for the last write).
func (s *Service) publish(j *Job, attempt int, k *leaseKeeper) (stop func()) {
	kick := make(chan struct{}, 1)
	quit, done := make(chan struct{}), make(chan struct{})
	j.changed = func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-kick:
			}
			if k.lost() {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Lease/3)
			if err := s.putState(ctx, j, attempt, false); err != nil {
				s.deps.Log.Debug("write a job's progress", "job_id", j.id, "err", err)
			}
			cancel()
			select {
			case <-quit:
				return
			case <-time.After(publishEvery):
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// report writes j's final state and then acknowledges the job, retrying
// while the store cannot be reached, until another worker took the job
// over or the service closes (the job is not acknowledged then: it runs
// again). A lease that could not be renewed during an outage does not stop
// the report: the run has ended, and a state of an earlier attempt never
// replaces one of a later attempt, so once Redis is back the result is
// kept unless another worker has begun the job again meanwhile.
func (s *Service) report(l queue.Lease, j *Job, attempt int, k *leaseKeeper) {
	if !s.retry(k, "write a job's result", func(ctx context.Context) error {
		return s.putState(ctx, j, attempt, true)
	}) {
		return
	}
	s.ack(l, k)
}

// ack takes the job off the queue, retrying as report does.
func (s *Service) ack(l queue.Lease, k *leaseKeeper) {
	s.retry(k, "acknowledge a job", func(ctx context.Context) error {
		if err := l.Ack(ctx); !errors.Is(err, queue.ErrLeaseLost) {
			return err
		}
		return nil // another worker's now
	})
}

// retry runs fn until it succeeds, every 50 to 200 ms, and reports whether
// it did: false when another worker took the job over or the service
// closed first.
func (s *Service) retry(k *leaseKeeper, what string, fn func(context.Context) error) bool {
	for wait, logged := 50*time.Millisecond, false; ; wait = min(2*wait, takeRetry) {
		if k != nil && k.takenOver() {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := fn(ctx)
		cancel()
		if err == nil {
			return true
		}
		if !logged {
			s.deps.Log.Warn(what+"; retrying", "err", err)
			logged = true
		}
		select {
		case <-s.ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}

// leaseKeeper renews a lease every third of its length while the job runs.
// When another worker took the job over, or the lease could not be renewed
// for nearly its whole length (Redis unreachable), the run is cancelled:
// the job never runs on two workers at once.
type leaseKeeper struct {
	quit, done chan struct{}
	stopped    atomic.Bool
	isLost     atomic.Bool // the run must stop
	isTaken    atomic.Bool // another worker took the job over
}

func (s *Service) keepLease(l queue.Lease, cancel context.CancelCauseFunc) *leaseKeeper {
	k := &leaseKeeper{quit: make(chan struct{}), done: make(chan struct{})}
	every, fence := s.cfg.Lease/3, s.cfg.Lease-s.cfg.Lease/6
	go func() {
		defer close(k.done)
		renewed := time.Now() // the lease began when Take returned, a little earlier
		timer := time.NewTimer(every)
		defer timer.Stop()
		for {
			select {
			case <-k.quit:
				return
			case <-timer.C:
			}
			sent := time.Now()
			ctx, c := context.WithTimeout(context.Background(), every)
			err := l.Renew(ctx)
			c()
			switch {
			case err == nil:
				renewed = sent
				timer.Reset(every)
			case errors.Is(err, queue.ErrLeaseLost) || time.Since(renewed) > fence:
				k.isTaken.Store(errors.Is(err, queue.ErrLeaseLost))
				k.isLost.Store(true)
				cancel(errLeaseLost)
				s.deps.Log.Warn("a job's lease was lost; the run stops so that the job never runs twice at once",
					"job_id", l.Job().ID, "err", err)
				return
			default:
				timer.Reset(min(every, 500*time.Millisecond))
			}
		}
	}()
	return k
}

func (k *leaseKeeper) lost() bool      { return k.isLost.Load() }
func (k *leaseKeeper) takenOver() bool { return k.isTaken.Load() }

// stop ends the renewals; it may be called more than once.
func (k *leaseKeeper) stop() {
	if k.stopped.CompareAndSwap(false, true) {
		close(k.quit)
	}
	<-k.done
}
