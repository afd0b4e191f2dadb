package jobstate

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Expired states leave the map as puts go on, a bounded number per put;
// a state put again lives on until its new expiry, a longer or a shorter one.
func TestMemoryPrunesExpired(t *testing.T) {
	m := NewMemory()
	now := time.Unix(1_000_000, 0)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	putFor := func(id string, ttl time.Duration) {
		t.Helper()
		if ok, err := m.Put(ctx, id, progress(1, 1), ttl); !ok || err != nil {
			t.Fatalf("put %s: %v %v", id, ok, err)
		}
	}
	const n = 1000
	for i := range n {
		putFor(fmt.Sprint(i), time.Second)
	}
	putFor("longer", time.Second)
	putFor("shorter", time.Hour)
	now = now.Add(500 * time.Millisecond)
	putFor("longer", time.Hour)
	putFor("shorter", time.Second)
	now = now.Add(2 * time.Second)

	putFor("new", time.Hour)
	if got := len(m.entries); got < n+3-pruneBudget {
		t.Fatalf("one put pruned %d entries, more than %d", n+3-got, pruneBudget)
	}
	for i := 0; len(m.entries) > 2 && i < n; i++ {
		putFor("new", time.Hour)
	}
	if len(m.entries) != 2 || m.entries["longer"] == nil || m.entries["new"] == nil {
		t.Fatalf("%d entries left, want longer and new", len(m.entries))
	}
	if len(m.expiries) != len(m.entries) {
		t.Fatalf("%d entries filed for %d entries", len(m.expiries), len(m.entries))
	}
	if _, ok, _ := m.Get(ctx, "longer"); !ok {
		t.Error("a state put again with a longer ttl expired at its first expiry")
	}
	if _, ok, _ := m.Get(ctx, "0"); ok {
		t.Error("an expired state was found")
	}
}
