package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// TestBreakerAnswersAtOnceWhileRedisIsDown kills a real Redis: the first
// command finds it down, every later one is refused at once with an error
// that is answered 503 with Retry-After, the outage is logged once when it
// starts (plus summaries) and once when it ends, and commands work again
// soon after Redis returns.
func TestBreakerAnswersAtOnceWhileRedisIsDown(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	var logs testutil.LogBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	conn, err := Connect(context.Background(), Options{URL: srv.URL(), Log: log,
		Breaker: BreakerOptions{SummaryEvery: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	if err := conn.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	err = conn.Get(ctx, "k").Err()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("first command with Redis killed: %v, want ErrUnavailable", err)
	}
	if conn.Breaker.Up() {
		t.Fatal("breaker still closed after Redis was found down")
	}
	var slowest time.Duration
	for range 200 {
		start := time.Now()
		err := conn.Get(ctx, "k").Err()
		slowest = max(slowest, time.Since(start))
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("command while down: %v", err)
		}
	}
	if slowest > 5*time.Millisecond {
		t.Errorf("slowest refusal while down took %v; want an answer at once", slowest)
	}
	e := server.AsError(err)
	if e.Status != http.StatusServiceUnavailable || e.Code != server.CodeUnavailable || e.Header.Get("Retry-After") == "" {
		t.Errorf("answered %d %s Retry-After=%q; want 503 %s with Retry-After", e.Status, e.Code, e.Header.Get("Retry-After"), server.CodeUnavailable)
	}
	if strings.Contains(e.Message, srv.Addr()) {
		t.Errorf("public message %q names Redis's address", e.Message)
	}
	// A pipeline is refused too, on each command.
	cmds, err := conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "k")
		return nil
	})
	if !errors.Is(err, store.ErrUnavailable) || len(cmds) != 1 || !errors.Is(cmds[0].Err(), store.ErrUnavailable) {
		t.Fatalf("pipeline while down: %v %v", err, cmds)
	}
	time.Sleep(700 * time.Millisecond) // a summary or two

	srv.Start()
	back := testutil.Within(t, 2*time.Second, "commands work after Redis returned", func() bool {
		return conn.Ping(ctx).Err() == nil
	})
	t.Logf("back %v after Redis answered", back)
	if back > time.Second {
		t.Errorf("commands worked %v after Redis returned; want within 1s", back)
	}

	out := logs.String()
	if n := strings.Count(out, "redis is unavailable"); n != 1 {
		t.Errorf("outage start logged %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "redis is still unavailable"); n < 1 || n > 4 {
		t.Errorf("outage summary logged %d times in ~0.7s at 300ms, want 1 to 4:\n%s", n, out)
	}
	if !strings.Contains(out, `"failed_requests"`) {
		t.Errorf("summaries do not count the failed requests:\n%s", out)
	}
	if n := strings.Count(out, "redis is available again"); n != 1 {
		t.Errorf("outage end logged %d times, want once:\n%s", n, out)
	}
	// The Redis client's own lines (a failed dial) come through slog too.
	if !strings.Contains(out, `"component":"redis-client"`) {
		t.Errorf("no line of the Redis client went through slog:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("a log line is not JSON: %q", line)
		}
	}
}

func TestIsDown(t *testing.T) {
	for _, tc := range []struct {
		err  error
		down bool
	}{
		{nil, false},
		{redis.Nil, false},
		{context.Canceled, false},
		{redis.ErrClosed, false},
		{errors.New("ERR wrong number of arguments"), false},
		{context.DeadlineExceeded, true},
		{redis.ErrPoolTimeout, true},
	} {
		if got := isDown(tc.err); got != tc.down {
			t.Errorf("isDown(%v) = %v, want %v", tc.err, got, tc.down)
		}
	}
}
