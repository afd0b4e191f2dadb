package redisstore

// The Redis client's own log lines (a pub/sub connection dropped, a
// reconnect) go through slog like every other line, and at most once per
// quiet period for each kind of line: an outage must not write one line per
// reconnect attempt.

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// clientLogQuiet is how long a kind of client line stays quiet after it was
// written; the next one says how many were left out.
const clientLogQuiet = 10 * time.Second

type clientLog struct {
	log atomic.Pointer[slog.Logger]

	mu   sync.Mutex
	seen map[string]*lineCount // by format string
}

type lineCount struct {
	last    time.Time
	dropped int
}

var redisClientLog = &clientLog{seen: map[string]*lineCount{}}

var installLogger sync.Once

// routeClientLog sends the Redis client's log lines to log from now on.
// The client's logger is one per process; the latest connection's wins.
func routeClientLog(log *slog.Logger) {
	redisClientLog.log.Store(log)
	installLogger.Do(func() { redis.SetLogger(redisClientLog) })
}

// Printf implements the Redis client's logging interface.
func (l *clientLog) Printf(ctx context.Context, format string, v ...any) {
	log := l.log.Load()
	if log == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	c := l.seen[format]
	if c == nil {
		if len(l.seen) > 256 {
			l.seen = map[string]*lineCount{}
		}
		c = &lineCount{}
		l.seen[format] = c
	}
	if !c.last.IsZero() && now.Sub(c.last) < clientLogQuiet {
		c.dropped++
		l.mu.Unlock()
		return
	}
	dropped := c.dropped
	c.last, c.dropped = now, 0
	l.mu.Unlock()
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	attrs := []any{"component", "redis-client"}
	if dropped > 0 {
		attrs = append(attrs, "similar_lines_left_out", dropped)
	}
	log.WarnContext(ctx, msg, attrs...)
}
