package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/store/storetest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		rdb, _ := redistest.Client(t)
		// Every handle opened within one subtest shares that subtest's prefix.
		s := New(rdb, prefixFor(t, rdb), nil)
		t.Cleanup(func() { s.Close() })
		return s
	}, true)
}

var (
	prefixesMu sync.Mutex
	prefixes   = map[*testing.T]string{}
)

// prefixFor is the prefix of t's subtest, the same for every handle it
// opens; its keys are deleted when t ends.
func prefixFor(t *testing.T, rdb redis.UniversalClient) string {
	prefixesMu.Lock()
	defer prefixesMu.Unlock()
	p, ok := prefixes[t]
	if !ok {
		p = redistest.Prefix(t, rdb)
		prefixes[t] = p
		t.Cleanup(func() {
			prefixesMu.Lock()
			delete(prefixes, t)
			prefixesMu.Unlock()
		})
	}
	return p
}

// Writes whose messages arrived are not news to the version poll: no
// instance reloads every view for them (a reload would drop every cache
// built on the records, the signed links' answers among them).
func TestDeliveredWritesDoNotReloadEverything(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a, b := New(rdb, prefix, nil), New(rdb, prefix, nil)
	t.Cleanup(func() { a.Close(); b.Close() })
	var mu sync.Mutex
	everything := map[string]int{}
	for name, s := range map[string]*Store{"a": a, "b": b} {
		s.Subscribe(func(c store.Change) {
			if c.Kind == "" {
				mu.Lock()
				everything[name]++
				mu.Unlock()
			}
		})
	}
	ctx := context.Background()
	for i := range 5 {
		if err := a.Put(ctx, "things", fmt.Sprint("t", i), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Delete(ctx, "things", "t0"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * PollInterval)
	mu.Lock()
	defer mu.Unlock()
	if everything["a"]+everything["b"] != 0 {
		t.Errorf("full reloads for writes whose messages arrived: %v", everything)
	}

	// A write whose message is lost (made behind the store's back) is seen
	// by the poll within two intervals.
	if err := rdb.Incr(ctx, prefix+"{records}:version").Err(); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	testutil.Eventually(t, 3*PollInterval, "a full reload after a silent change", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return everything["a"] > 0 && everything["b"] > 0
	})
	mu.Lock()
}

// The record store on a three-node Redis Cluster: a write and its version
// bump share a hash slot, so nothing answers CROSSSLOT.
func TestConformanceOnCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := cluster.Client(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s := New(rdb, prefixFor(t, rdb), nil)
		t.Cleanup(func() { s.Close() })
		return s
	}, true)
}
