// Package cache owns the results of signed-URL jobs that carry a
// cache_key: a finished job's answer kept for a TTL (24 h by default) under
// (base id, cache_key, job hash), and the single-flight that makes
// concurrent first requests for one key run the job once, also across
// gateway instances sharing Redis.
//
// Two backends keep the same contract: Redis (results, locks with a lease,
// the running job's latest status, and a pub/sub signal when a job ends) and
// memory (bounded, with TTLs) for the embedded default. Only successes are
// cached: a failure is answered to the requests that waited for that job,
// and the next request runs the job again, since most failures (an import
// that timed out, a full queue) are worth retrying.
package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Key names one cached result. Base is a signed-URL base id, CacheKey the
// URL's cache_key and JobHash jobspec.Hash of the decoded job, so two jobs
// or two bases never share a result. All three are restricted to
// [A-Za-z0-9_-] by their validators, so joining them with ":" is unambiguous.
type Key struct {
	Base, CacheKey, JobHash string
}

func (k Key) String() string { return k.Base + ":" + k.CacheKey + ":" + k.JobHash }

// Entry is an answer to a signed-URL request, as kept and shared between
// instances.
type Entry struct {
	// JobID is the job the answer comes from.
	JobID string `json:"job_id"`
	// Status is the job status JSON in the API's shape.
	Status json.RawMessage `json:"status"`
	// Final is set once the job has ended, in success or failure.
	Final bool `json:"final"`
	// Location is the output URL of a successful job: the redirect target.
	Location string `json:"location,omitempty"`
	// HTTPStatus is the status a failed job is answered with.
	HTTPStatus int `json:"http_status,omitempty"`
	// Expires is when a cached result stops being kept.
	Expires time.Time `json:"expires,omitzero"`
}

// Cacheable reports whether e may be kept as the key's result: only a
// finished job with an output to redirect to.
func (e Entry) Cacheable() bool { return e.Final && e.Location != "" }

// Job is a running job as the cache sees it.
type Job interface {
	ID() string
	Done() <-chan struct{}
	// Entry is the job's answer now; Final once Done is closed.
	Entry() Entry
}

// Source tells how a request got its answer, for the CacheLookups metric.
type Source string

const (
	Hit  Source = "hit"  // a cached result
	Miss Source = "miss" // this request started the job
	Join Source = "join" // another request, on any instance, started it
	// Local: the result cache could not be read, and the answer is the
	// instance's own recent copy of the result.
	Local Source = "local"
)

// ErrBackend wraps failures of the shared store (Redis).
var ErrBackend = errors.New("result cache unavailable")

// Options tune a Cache; zero values take the defaults.
type Options struct {
	// TTL is how long a result is kept (24 h).
	TTL time.Duration
	// Lease is how long a lock outlives an instance that stopped renewing
	// it (a crash); the holder renews it every Lease/3 (15 s).
	Lease time.Duration
	// Poll is how often a waiting request looks at the shared state when no
	// signal came, which covers a lost signal and a crashed holder (500 ms).
	Poll time.Duration
	// Linger is how long a failed job's final status stays readable for the
	// requests that were waiting for it (1 min).
	Linger time.Duration
	// MaxEntries bounds the memory backend (10000).
	MaxEntries int
	Log        *slog.Logger
}

func (o *Options) defaults() {
	if o.TTL <= 0 {
		o.TTL = 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.Linger <= 0 {
		o.Linger = time.Minute
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// backend is what the Redis and memory implementations provide. Every
// method names one entry by its key string; lock values are compared, so
// an instance can only renew or release a lock it holds.
type backend interface {
	getResult(ctx context.Context, k string) (Entry, bool, error)
	setResult(ctx context.Context, k string, e Entry, ttl time.Duration) error
	// acquire sets the lock to value unless it is held (SET NX PX).
	acquire(ctx context.Context, k, value string, lease time.Duration) (bool, error)
	// swap replaces the lock's value old with value and restarts its lease,
	// if it still holds old; swap(k, v, v, lease) renews.
	swap(ctx context.Context, k, old, value string, lease time.Duration) (bool, error)
	release(ctx context.Context, k, value string) error
	locked(ctx context.Context, k string) (bool, error)
	setStatus(ctx context.Context, k string, e Entry, ttl time.Duration) error
	getStatus(ctx context.Context, k string) (Entry, bool, error)
	// publish signals every instance that the job of k ended with e.
	publish(ctx context.Context, k string, e Entry) error
	// subscribe delivers the signals for k until cancel is called.
	subscribe(k string) (<-chan Entry, func())
	close() error
}

// Cache is the result cache with its single-flight.
type Cache struct {
	b    backend
	opts Options
	// following, when set, is told that a request waits for another's job
	// (tests use it to end a job at a known point).
	following func(k string)
}

// Close stops the backend's background work.
func (c *Cache) Close() error { return c.b.close() }

// TTL is how long results are kept.
func (c *Cache) TTL() time.Duration { return c.opts.TTL }

// Cached returns the result stored for key, if there is one, and never
// starts or joins a job.
func (c *Cache) Cached(ctx context.Context, key Key) (Entry, bool, error) {
	return c.b.getResult(ctx, key.String())
}

// Do answers a request for key: the cached result when there is one;
// otherwise it joins the job another request started, or starts one with
// start. It waits up to wait for the job to end and then returns the job's
// current, non-final Entry. The job goes on after Do returns, and its
// result is stored when it ends, whoever is still waiting.
func (c *Cache) Do(ctx context.Context, key Key, wait time.Duration, start func() (Job, error)) (Entry, Source, error) {
	k := key.String()
	if e, ok, err := c.b.getResult(ctx, k); err != nil {
		return Entry{}, "", err
	} else if ok {
		return e, Hit, nil
	}
	// Subscribe before taking the lock so a job that ends in between
	// cannot end unseen.
	signals, cancel := c.b.subscribe(k)
	defer cancel()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	token := randomToken()
	for {
		got, err := c.b.acquire(ctx, k, token, c.opts.Lease)
		if err != nil {
			return Entry{}, "", err
		}
		if got {
			return c.lead(ctx, k, token, deadline.C, start)
		}
		if c.following != nil {
			c.following(k)
		}
		e, final, err := c.follow(ctx, k, signals, deadline.C)
		if err != nil {
			return Entry{}, "", err
		}
		if final || e.Status != nil {
			return e, Join, nil
		}
		// The lock went away with no answer (its holder crashed, or the
		// holder's job could not start): try to take it.
	}
}

// lead runs the job as the holder of k's lock.
func (c *Cache) lead(ctx context.Context, k, token string, deadline <-chan time.Time, start func() (Job, error)) (Entry, Source, error) {
	// A result may have landed between the miss and the lock.
	if e, ok, err := c.b.getResult(ctx, k); err == nil && ok {
		_ = c.b.release(context.WithoutCancel(ctx), k, token)
		return e, Hit, nil
	}
	job, err := start()
	if err != nil {
		_ = c.b.release(context.WithoutCancel(ctx), k, token)
		return Entry{}, "", err
	}
	bg := context.WithoutCancel(ctx)
	// From now on the lock holds the job id, as operators expect to see.
	lockVal := job.ID() + "/" + token
	if ok, err := c.b.swap(bg, k, token, lockVal, c.opts.Lease); err != nil || !ok {
		c.opts.Log.Warn("result cache: lock lost before the job started", "key", k, "err", err)
		lockVal = token
	}
	if err := c.b.setStatus(bg, k, job.Entry(), c.opts.Lease); err != nil {
		c.opts.Log.Warn("result cache: store job status", "key", k, "err", err)
	}
	settled := make(chan struct{})
	go c.watch(k, lockVal, job, settled)
	select {
	case <-job.Done():
		// Answer once the result is stored and the lock released, so a
		// request this client makes next sees the job as ended.
		<-settled
		return job.Entry(), Miss, nil
	case <-deadline:
		return job.Entry(), Miss, nil
	case <-ctx.Done():
		return Entry{}, "", ctx.Err()
	}
}

// watch keeps k's lock and status fresh while job runs, then stores and
// announces its result. It does not depend on any request: the job's
// result is kept even when every client has gone.
func (c *Cache) watch(k, lockVal string, job Job, settled chan<- struct{}) {
	ctx := context.Background()
	tick := time.NewTicker(c.opts.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if ok, err := c.b.swap(ctx, k, lockVal, lockVal, c.opts.Lease); err != nil || !ok {
				c.opts.Log.Warn("result cache: could not renew lock", "key", k, "held", ok, "err", err)
			}
			if err := c.b.setStatus(ctx, k, job.Entry(), c.opts.Lease); err != nil {
				c.opts.Log.Warn("result cache: store job status", "key", k, "err", err)
			}
		case <-job.Done():
			c.settle(k, lockVal, job.Entry(), settled)
			return
		}
	}
}

// settle stores and announces a job's end: its result, its final status,
// the lock released and the signal sent. Steps that fail because Redis is
// down are tried again every Poll until they succeed or the lock's lease
// is over, so that a job that ended during a short outage is answered from
// its result, not run again, once Redis is back. settled is closed after
// the first attempt: the request that ran the job has its answer.
func (c *Cache) settle(k, lockVal string, e Entry, settled chan<- struct{}) {
	ctx := context.Background()
	if e.Cacheable() {
		e.Expires = time.Now().Add(c.opts.TTL)
	}
	// Result first, then release: whoever sees the lock gone finds the
	// result.
	steps := []struct {
		what string
		fn   func() error
	}{
		{"store result", func() error {
			if !e.Cacheable() {
				return nil
			}
			return c.b.setResult(ctx, k, e, c.opts.TTL)
		}},
		{"store final status", func() error { return c.b.setStatus(ctx, k, e, c.opts.Linger) }},
		{"release lock", func() error { return c.b.release(ctx, k, lockVal) }},
		{"publish result", func() error { return c.b.publish(ctx, k, e) }},
	}
	giveUp := time.Now().Add(c.opts.Lease)
	for attempt := 0; ; attempt++ {
		var failed error
		for len(steps) > 0 {
			err := steps[0].fn()
			if err != nil {
				failed = fmt.Errorf("%s: %w", steps[0].what, err)
				break
			}
			steps = steps[1:]
		}
		if attempt == 0 {
			close(settled)
		}
		if failed == nil {
			if attempt > 0 {
				c.opts.Log.Info("result cache: job's end stored after the store returned", "key", k)
			}
			return
		}
		if !errors.Is(failed, ErrBackend) || time.Now().After(giveUp) {
			c.opts.Log.Error("result cache: job's end not stored", "key", k, "err", failed)
			return
		}
		time.Sleep(c.opts.Poll)
	}
}

// follow waits for the job that holds k's lock. It returns the final entry
// (final set), the job's latest status when the wait is over (final unset,
// Status set), or a zero entry when the lock went away with no answer.
func (c *Cache) follow(ctx context.Context, k string, signals <-chan Entry, deadline <-chan time.Time) (e Entry, final bool, err error) {
	poll := time.NewTicker(c.opts.Poll)
	defer poll.Stop()
	for {
		select {
		case e := <-signals:
			return e, true, nil
		case <-ctx.Done():
			return Entry{}, false, ctx.Err()
		case <-deadline:
			if r, ok, err := c.b.getResult(ctx, k); err != nil || ok {
				return r, ok, err
			}
			s, ok, err := c.b.getStatus(ctx, k)
			if err != nil {
				return Entry{}, false, err
			}
			if !ok {
				// No status anywhere: the holder has not stored one yet.
				s = Entry{Status: json.RawMessage(`{"status":"waiting","tasks":[]}`)}
			}
			return s, s.Final, nil
		case <-poll.C:
			if r, ok, err := c.b.getResult(ctx, k); err != nil || ok {
				return r, ok, err
			}
			held, err := c.b.locked(ctx, k)
			if err != nil {
				return Entry{}, false, err
			}
			if held {
				continue
			}
			// The lock is gone: a failure left its final status behind,
			// anything else means the holder is gone.
			if s, ok, err := c.b.getStatus(ctx, k); err == nil && ok && s.Final {
				return s, true, nil
			}
			return Entry{}, false, nil
		}
	}
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func wrapBackend(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %w", ErrBackend, op, err)
}
