package redisstore

// The circuit breaker in front of Redis. Every part of the gateway that uses
// Redis (the record store, the result cache, locks, secrets) goes through one
// client; the breaker is a hook on it. While Redis answers it only watches
// errors. The first command that fails because Redis is down (refused, reset,
// a timeout, LOADING after a restart) opens it: from then on every command
// fails at once with Unavailable, which the gateway answers 503 with
// Retry-After, instead of each request waiting for its own dial to time out.
// A probe pings Redis in the background and closes the breaker as soon as
// one answers. The outage is logged once when it starts, as a summary every
// few seconds while it lasts, and once when it ends.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/store"
)

// Unavailable is the error of a command that failed, or was not sent,
// because Redis is down. Its message is safe to show; the cause is for logs.
type Unavailable struct{ Cause error }

func (e *Unavailable) Error() string {
	return "the shared store (Redis) is unavailable; retry shortly"
}
func (e *Unavailable) Unwrap() error { return e.Cause }

// Is makes errors.Is(err, store.ErrUnavailable) hold.
func (e *Unavailable) Is(target error) bool { return target == store.ErrUnavailable }

// Status, Code and RetryAfter give the answer: 503 SERVICE_UNAVAILABLE with
// Retry-After (server.Coded and server.Temporary).
func (e *Unavailable) Status() int               { return http.StatusServiceUnavailable }
func (e *Unavailable) Code() string              { return "SERVICE_UNAVAILABLE" }
func (e *Unavailable) RetryAfter() time.Duration { return time.Second }

// BreakerOptions tune a Breaker; zero values take the defaults.
type BreakerOptions struct {
	// ProbeEvery is how often an open breaker pings Redis (100 ms): the
	// gateway is back within that of Redis's return.
	ProbeEvery time.Duration
	// ProbeTimeout bounds one ping (1 s).
	ProbeTimeout time.Duration
	// SummaryEvery is how often an outage that lasts is logged (10 s).
	SummaryEvery time.Duration
	// OnChange, when set, is told when Redis goes down (false) and comes
	// back (true), for metrics.
	OnChange func(up bool)
}

// Breaker is a redis.Hook; see the top of this file.
type Breaker struct {
	opts BreakerOptions
	log  *slog.Logger
	ping func(ctx context.Context) error

	open   atomic.Bool
	failed atomic.Int64 // commands failed or refused in this outage

	mu     sync.Mutex
	closed bool
	stop   chan struct{}
	done   sync.WaitGroup
}

// NewBreaker returns a closed breaker that probes with ping, which must not
// go through the client the breaker guards.
func NewBreaker(ping func(ctx context.Context) error, log *slog.Logger, opts BreakerOptions) *Breaker {
	if opts.ProbeEvery <= 0 {
		opts.ProbeEvery = 100 * time.Millisecond
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = time.Second
	}
	if opts.SummaryEvery <= 0 {
		opts.SummaryEvery = 10 * time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	return &Breaker{opts: opts, log: log, ping: ping, stop: make(chan struct{})}
}

// Up reports whether Redis is taken to be answering.
func (b *Breaker) Up() bool { return !b.open.Load() }

// Close stops the probe.
func (b *Breaker) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.stop)
	}
	b.mu.Unlock()
	b.done.Wait()
}

// refuse is the answer to a command while the breaker is open.
func (b *Breaker) refuse() error {
	b.failed.Add(1)
	return &Unavailable{Cause: errors.New("redis is down (circuit open)")}
}

// observe opens the breaker when err says Redis is down, and returns the
// error the caller gets.
func (b *Breaker) observe(err error) error {
	if !isDown(err) {
		return err
	}
	b.failed.Add(1)
	b.trip(err)
	return &Unavailable{Cause: err}
}

func (b *Breaker) trip(cause error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.open.Load() {
		return
	}
	b.open.Store(true)
	b.log.Error("redis is unavailable; answering 503 until it returns", "err", cause)
	if b.opts.OnChange != nil {
		b.opts.OnChange(false)
	}
	b.done.Add(1)
	go b.probe(time.Now())
}

// probe pings Redis until it answers, then closes the breaker.
func (b *Breaker) probe(since time.Time) {
	defer b.done.Done()
	probe := time.NewTicker(b.opts.ProbeEvery)
	defer probe.Stop()
	summary := time.NewTicker(b.opts.SummaryEvery)
	defer summary.Stop()
	var lastErr error
	var reported int64
	for {
		select {
		case <-b.stop:
			return
		case <-summary.C:
			n := b.failed.Load()
			b.log.Warn("redis is still unavailable", "down_for", time.Since(since).Round(time.Millisecond).String(),
				"failed_requests", n-reported, "err", lastErr)
			reported = n
		case <-probe.C:
			ctx, cancel := context.WithTimeout(context.Background(), b.opts.ProbeTimeout)
			lastErr = b.ping(ctx)
			cancel()
			if lastErr != nil {
				continue
			}
			b.open.Store(false)
			b.log.Info("redis is available again", "down_for", time.Since(since).Round(time.Millisecond).String(),
				"failed_requests", b.failed.Swap(0))
			if b.opts.OnChange != nil {
				b.opts.OnChange(true)
			}
			return
		}
	}
}

// DialHook implements redis.Hook.
func (b *Breaker) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (b *Breaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if b.open.Load() {
			return b.refuse()
		}
		return b.observe(next(ctx, cmd))
	}
}

// ProcessPipelineHook implements redis.Hook.
func (b *Breaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if b.open.Load() {
			err := b.refuse()
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		err := b.observe(next(ctx, cmds))
		if _, ok := err.(*Unavailable); ok {
			for _, c := range cmds {
				c.SetErr(err)
			}
		}
		return err
	}
}

// isDown reports whether err means Redis cannot be reached or cannot serve
// now, as opposed to an answer (a missing key, a script error) or the
// caller giving up.
func isDown(err error) bool {
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.Is(err, context.Canceled), errors.Is(err, redis.ErrClosed):
		return false
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		msg := reply.Error()
		for _, p := range []string{"LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN"} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
