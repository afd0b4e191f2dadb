package queue

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is the queue of one process (the embedded default), with the same
// leases, takeovers and attempts as Redis.
type Memory struct {
	// Lease and Max as in Redis.
	Lease time.Duration
	Max   int64

	mu      sync.Mutex
	wake    chan struct{} // closed and replaced when a job comes or goes back
	queued  map[string][]*memEntry
	running map[*memEntry]struct{}
	now     func() time.Time
}

var _ Queue = (*Memory)(nil)

type memEntry struct {
	job      Job
	class    string
	owner    string
	renewed  time.Time
	attempts int
}

// NewMemory returns an empty queue.
func NewMemory(lease time.Duration, max int64) *Memory {
	return &Memory{Lease: lease, Max: max, wake: make(chan struct{}),
		queued: map[string][]*memEntry{}, running: map[*memEntry]struct{}{}, now: time.Now}
}

func (q *Memory) depth() int64 {
	n := len(q.running)
	for _, es := range q.queued {
		n += len(es)
	}
	return int64(n)
}

// wakeAll tells every waiting Take to look again; q.mu is held.
func (q *Memory) wakeAll() {
	close(q.wake)
	q.wake = make(chan struct{})
}

// Enqueue implements Queue.
func (q *Memory) Enqueue(_ context.Context, job Job) error {
	if job.Enqueued.IsZero() {
		job.Enqueued = q.now()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.depth() >= q.Max {
		return ErrFull
	}
	c := Class(job.Needs)
	q.queued[c] = append(q.queued[c], &memEntry{job: job, class: c})
	q.wakeAll()
	return nil
}

// Depth implements Queue.
func (q *Memory) Depth(context.Context) (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.depth(), nil
}

// Take implements Queue.
func (q *Memory) Take(ctx context.Context, consumer string, classes []string) (Lease, error) {
	for {
		q.mu.Lock()
		now := q.now()
		// A job whose lease ran out first, then the oldest new one.
		var next time.Duration = -1
		for e := range q.running {
			if !slices.Contains(classes, e.class) {
				continue
			}
			idle := now.Sub(e.renewed)
			if idle >= q.Lease {
				e.owner, e.renewed = consumer, now
				e.attempts++
				q.mu.Unlock()
				return q.lease(e, consumer), nil
			}
			if wait := q.Lease - idle; next < 0 || wait < next {
				next = wait
			}
		}
		var oldest *memEntry
		for _, c := range classes {
			if es := q.queued[c]; len(es) > 0 && (oldest == nil || es[0].job.Enqueued.Before(oldest.job.Enqueued)) {
				oldest = es[0]
			}
		}
		if oldest != nil {
			q.queued[oldest.class] = q.queued[oldest.class][1:]
			oldest.owner, oldest.renewed, oldest.attempts = consumer, now, 1
			q.running[oldest] = struct{}{}
			q.mu.Unlock()
			return q.lease(oldest, consumer), nil
		}
		wake := q.wake
		q.mu.Unlock()
		var timer *time.Timer
		var expired <-chan time.Time
		if next >= 0 {
			timer = time.NewTimer(next)
			expired = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil, ctx.Err()
		case <-wake:
		case <-expired:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (q *Memory) lease(e *memEntry, consumer string) *memLease {
	job := e.job
	job.Attempt = e.attempts
	return &memLease{q: q, e: e, consumer: consumer, job: job}
}

type memLease struct {
	q        *Memory
	e        *memEntry
	consumer string
	job      Job
}

func (l *memLease) Job() Job { return l.job }

// held reports whether the job is still this lease's; q.mu is held.
func (l *memLease) held() bool {
	_, running := l.q.running[l.e]
	return running && l.e.owner == l.consumer
}

func (l *memLease) Renew(context.Context) error {
	l.q.mu.Lock()
	defer l.q.mu.Unlock()
	if !l.held() {
		return ErrLeaseLost
	}
	l.e.renewed = l.q.now()
	return nil
}

func (l *memLease) Ack(context.Context) error {
	l.q.mu.Lock()
	defer l.q.mu.Unlock()
	if !l.held() {
		return ErrLeaseLost
	}
	delete(l.q.running, l.e)
	l.q.wakeAll() // room for a job Enqueue refused
	return nil
}

// Release makes the job's lease run out now and gives back its attempt.
func (l *memLease) Release(context.Context) error {
	l.q.mu.Lock()
	defer l.q.mu.Unlock()
	if !l.held() {
		return ErrLeaseLost
	}
	l.e.owner = ""
	l.e.renewed = l.q.now().Add(-l.q.Lease)
	l.e.attempts = max(l.e.attempts-1, 0)
	l.q.wakeAll()
	return nil
}
