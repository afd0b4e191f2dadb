package tlsserve

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// lockedWithin reports whether l takes name within d.
func lockedWithin(l Locker, name string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return l.Lock(ctx, name) == nil
}

// A LocalLocker holds a name for one taker at a time; a waiter gives up
// when its context ends.
func TestLocalLockerExcludes(t *testing.T) {
	l := NewLocalLocker()
	ctx := context.Background()
	if err := l.Lock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if lockedWithin(l, "a", 50*time.Millisecond) {
		t.Fatal("a second taker got a held lock")
	}
	if !lockedWithin(l, "b", time.Second) {
		t.Fatal("another name is busy")
	}
	got := make(chan error, 1)
	go func() { got <- l.Lock(ctx, "a") }()
	if err := l.Unlock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("the waiter: %v", err)
	}
	if err := l.Unlock(ctx, "c"); err == nil {
		t.Error("Unlock of a lock never taken")
	}
}

// RedisLockers of two instances exclude each other; a holder keeps its
// lock past its lease by renewing it, and a holder that stops renewing
// (it died) loses it once the lease has run out.
func TestRedisLockerExcludesInstances(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	log := slog.New(slog.DiscardHandler)
	const lease = 300 * time.Millisecond
	a := NewRedisLocker(rdb, prefix, lease, log)
	b := NewRedisLocker(rdb, prefix, lease, log)
	ctx := context.Background()

	if err := a.Lock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
	// Three leases long: a renews meanwhile.
	if lockedWithin(b, "issue_cert_a.test", 3*lease) {
		t.Fatal("b took the lock a holds")
	}
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx, "issue_cert_a.test") }()
	if err := a.Unlock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("b, waiting: %v", err)
	}
	if err := b.Unlock(ctx, "issue_cert_a.test"); err != nil {
		t.Fatal(err)
	}

	// A holder whose Redis connection is gone stops renewing.
	opts, _ := redis.ParseURL(redistest.URL())
	dying := redis.NewClient(opts)
	d := NewRedisLocker(dying, prefix, lease, log)
	if err := d.Lock(ctx, "renew_cert_b.test"); err != nil {
		t.Fatal(err)
	}
	dying.Close()
	took := testutil.Within(t, 10*lease, "the lock of a dead holder is free", func() bool {
		return lockedWithin(b, "renew_cert_b.test", lease/3)
	})
	if took < lease/2 {
		t.Errorf("the lock of a dead holder was free after %v, before its lease ran out", took)
	}
}

// A holder that lost its lock (its lease ran out, another took it) does
// not delete the other's when it unlocks.
func TestRedisLockerUnlocksOnlyItsOwnLock(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	log := slog.New(slog.DiscardHandler)
	a := NewRedisLocker(rdb, prefix, time.Minute, log)
	b := NewRedisLocker(rdb, prefix, time.Minute, log)
	ctx := context.Background()
	if err := a.Lock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	rdb.Del(ctx, prefix+"tls:lock:x") // as if a's lease had run out
	if err := b.Lock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, prefix+"tls:lock:x").Result(); n != 1 {
		t.Fatal("a's Unlock deleted b's lock")
	}
	if err := a.Unlock(ctx, "x"); err == nil {
		t.Error("a second Unlock of the same lock")
	}
	b.Unlock(ctx, "x")
	if err := a.Lock(ctx, "x"); err != nil {
		t.Fatalf("after b's Unlock: %v", err)
	}
	a.Unlock(ctx, "x")
}
