package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/queue"
)

// downQueue fails Take while down is set, as the shared queue does while
// Redis cannot be reached, and tells up when a Take gets through.
type downQueue struct {
	*queue.Memory
	down atomic.Bool
	up   chan time.Time
}

func (q *downQueue) Take(ctx context.Context, consumer string, classes []string) (queue.Lease, error) {
	if q.down.Load() {
		return nil, errors.New("the shared store (Redis) is unavailable")
	}
	select {
	case q.up <- time.Now():
	default:
	}
	return q.Memory.Take(ctx, consumer, classes)
}

// After an outage of the queue, a worker takes jobs again within a fraction
// of a second, however long the outage lasted: the fleet serves again as
// soon as Redis does.
func TestWorkerReadsTheQueueSoonAfterItIsBack(t *testing.T) {
	q := &downQueue{Memory: queue.NewMemory(time.Minute, 8), up: make(chan time.Time, 1)}
	q.down.Store(true)
	svc := NewService(Config{Workers: 1, WorkDir: t.TempDir()}, Deps{Queue: q, Log: slog.New(slog.DiscardHandler)})
	t.Cleanup(svc.Close)
	time.Sleep(1600 * time.Millisecond) // long enough for the retries to be as far apart as they get
	q.down.Store(false)
	back := time.Now()
	select {
	case at := <-q.up:
		if d := at.Sub(back); d > 400*time.Millisecond {
			t.Errorf("the worker read the queue again %v after it was back, want within 400ms", d.Round(time.Millisecond))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the worker did not read the queue again within 5s of its return")
	}
}
