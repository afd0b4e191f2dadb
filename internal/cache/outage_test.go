package cache

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/store/redisstore"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// TestJobEndingDuringAnOutageIsStoredWhenRedisReturns: a job that ends
// while Redis is down has its result stored and its lock released once
// Redis is back (from its append-only file), so the next request is
// answered with that result at once instead of waiting out the lock's
// lease and running the job again.
func TestJobEndingDuringAnOutageIsStoredWhenRedisReturns(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{AppendOnly: true})
	open := func() *Cache {
		conn, err := redisstore.Connect(context.Background(), redisstore.Options{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewRedis(context.Background(), conn, "outage:", Options{Lease: 20 * time.Second, Poll: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(); conn.Close() })
		return c
	}
	a, b := open(), open()
	ctx := context.Background()
	key := Key{"base", "k", "hash"}
	job := newFakeJob("job-1", "http://gw/outputs/a.jpg")
	e, src, err := a.Do(ctx, key, 50*time.Millisecond, func() (Job, error) { return job, nil })
	if err != nil || src != Miss || e.Final {
		t.Fatalf("first request: %+v %s %v", e, src, err)
	}

	srv.Kill()
	job.finish()
	time.Sleep(300 * time.Millisecond)
	if _, _, err := b.Do(ctx, key, time.Second, func() (Job, error) { return nil, errors.New("must not start") }); !errors.Is(err, ErrBackend) {
		t.Fatalf("request while Redis is down: %v, want ErrBackend", err)
	}
	srv.Start()

	start := time.Now()
	starts := 0
	for {
		// The breaker answers at once until its probe has seen Redis back.
		e, src, err = b.Do(ctx, key, 5*time.Second, func() (Job, error) {
			starts++
			return newFakeJob("job-2", "http://gw/outputs/b.jpg"), nil
		})
		if !errors.Is(err, ErrBackend) || time.Since(start) > 2*time.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("after Redis returned: %s %q in %v", src, e.Location, took)
	if err != nil || e.Location != "http://gw/outputs/a.jpg" || starts != 0 {
		t.Fatalf("after Redis returned: %+v %s %v, %d starts; want job-1's result and no new job", e, src, err, starts)
	}
	if took > 2*time.Second {
		t.Errorf("the result came %v after Redis returned; want it within a second or two, not the lock's lease", took)
	}
}

// The result cache on a three-node Redis Cluster: single-flight, the lock's
// scripts and the end-of-job signal work across nodes.
func TestSingleFlightOnCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := cluster.Client(t)
	ctx := context.Background()
	a, err := NewRedis(ctx, rdb, "c:", Options{Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewRedis(ctx, rdb, "c:", Options{Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	job := newFakeJob("job-1", "http://gw/outputs/a.jpg")
	starts := 0
	start := func() (Job, error) { starts++; return job, nil }
	for i, key := range []Key{{"base", "k1", "h"}, {"base", "k2", "h"}, {"other", "k3", "h"}} {
		job = newFakeJob(fmt.Sprint("job-", i), "http://gw/outputs/"+key.CacheKey)
		// a starts the job and stops waiting for it; b joins it.
		e, src, err := a.Do(ctx, key, 50*time.Millisecond, start)
		if err != nil || src != Miss {
			t.Fatalf("%v: %s %v", key, src, err)
		}
		done := make(chan Entry, 1)
		go func() {
			e, _, err := b.Do(ctx, key, 5*time.Second, func() (Job, error) {
				return nil, errors.New("b must join the job a runs, not start one")
			})
			if err != nil {
				t.Error(err)
			}
			done <- e
		}()
		time.Sleep(100 * time.Millisecond)
		job.finish()
		if got := <-done; got.Location != "http://gw/outputs/"+key.CacheKey {
			t.Errorf("%v: the other instance got %+v", key, got)
		}
		if e, src, err = b.Do(ctx, key, time.Second, start); err != nil || src != Hit {
			t.Errorf("%v: after the job: %s %v", key, src, err)
		}
		_ = e
	}
	if starts != 3 {
		t.Errorf("%d jobs started, want 3", starts)
	}
}
