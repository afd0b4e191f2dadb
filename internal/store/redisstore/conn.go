package redisstore

// The connection to Redis: one client built from GATEWAY_REDIS_URL for a
// single server, a Cluster or Sentinel, shared by the record store, the
// result cache and the locks, with explicit timeouts and the breaker
// (breaker.go) in front of it.

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options say how to connect. Zero timeouts and retries keep what the URL
// says, or the defaults below.
type Options struct {
	URL  string
	Mode string // single, cluster or sentinel
	// DialTimeout bounds opening a connection (500 ms); ReadTimeout and
	// WriteTimeout one command's answer and write (500 ms each).
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// MaxRetries is how many times a command that failed on its
	// connection is tried again (1); -1 for none.
	MaxRetries int
	Log        *slog.Logger
	Breaker    BreakerOptions
}

// Defaults of Options. A request waits for Redis at most about
// (MaxRetries+1) × (DialTimeout + ReadTimeout) before it is answered 503,
// and not at all once the breaker has seen Redis down.
const (
	DefaultDialTimeout = 500 * time.Millisecond
	DefaultIOTimeout   = 500 * time.Millisecond
	DefaultMaxRetries  = 1
)

// Conn is the client with its breaker; Close closes both.
type Conn struct {
	redis.UniversalClient
	Breaker *Breaker
}

// Close stops the breaker's probe and closes the client.
func (c *Conn) Close() error {
	c.Breaker.Close()
	return c.UniversalClient.Close()
}

// Connect connects as opts say and checks that the server answers.
func Connect(ctx context.Context, opts Options) (*Conn, error) {
	// newClient makes the client; probe clients are one-connection copies.
	var newClient func(probe bool) redis.UniversalClient
	switch opts.Mode {
	case "", "single":
		o, err := redis.ParseURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("parse redis URL: %w", err)
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries, opts)
		o.DialerRetries = 1 // MaxRetries already retries a failed dial
		newClient = func(probe bool) redis.UniversalClient {
			if !probe {
				return redis.NewClient(o)
			}
			p := *o
			p.PoolSize, p.MaxRetries = 1, -1
			return redis.NewClient(&p)
		}
	case "cluster":
		o, err := redis.ParseClusterURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("parse redis cluster URL: %w", err)
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries, opts)
		o.DialerRetries = 1
		newClient = func(probe bool) redis.UniversalClient {
			if !probe {
				return redis.NewClusterClient(o)
			}
			p := *o
			p.PoolSize, p.MaxRetries = 1, -1
			return redis.NewClusterClient(&p)
		}
	case "sentinel":
		o, err := redis.ParseFailoverURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("parse redis sentinel URL: %w", err)
		}
		tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.MaxRetries, opts)
		o.DialerRetries = 1
		newClient = func(probe bool) redis.UniversalClient {
			if !probe {
				return redis.NewFailoverClient(o)
			}
			p := *o
			p.PoolSize, p.MaxRetries = 1, -1
			return redis.NewFailoverClient(&p)
		}
	default:
		return nil, fmt.Errorf("unknown redis mode %q", opts.Mode)
	}
	client := newClient(false)
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	routeClientLog(log)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis does not answer: %w", err)
	}
	// The probe dials a client of its own each time: the client's pool
	// stops dialing for a second once it has seen as many failed dials as
	// it has connections, and probes through it would get it there.
	b := NewBreaker(func(ctx context.Context) error {
		p := newClient(true)
		defer p.Close()
		return p.Ping(ctx).Err()
	}, log, opts.Breaker)
	client.AddHook(b)
	return &Conn{UniversalClient: client, Breaker: b}, nil
}

// tune sets what opts gives, and the defaults where neither opts nor the
// URL says.
func tune(dial, read, write *time.Duration, retries *int, opts Options) {
	set := func(dst *time.Duration, v, def time.Duration) {
		switch {
		case v != 0:
			*dst = v
		case *dst == 0:
			*dst = def
		}
	}
	set(dial, opts.DialTimeout, DefaultDialTimeout)
	set(read, opts.ReadTimeout, DefaultIOTimeout)
	set(write, opts.WriteTimeout, DefaultIOTimeout)
	switch {
	case opts.MaxRetries != 0:
		*retries = opts.MaxRetries
	case *retries == 0:
		*retries = DefaultMaxRetries
	}
}
