package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// factory makes an empty queue with a lease and a bound.
type factory func(t *testing.T, lease time.Duration, max int64) Queue

var backends = map[string]factory{
	"memory": func(t *testing.T, lease time.Duration, max int64) Queue { return NewMemory(lease, max) },
	"redis": func(t *testing.T, lease time.Duration, max int64) Queue {
		rdb, prefix := redistest.Client(t)
		q := NewRedis(rdb, prefix, lease, max)
		q.Block = 50 * time.Millisecond
		return q
	},
}

// TestConformance runs every test on both queues: they keep one contract.
func TestConformance(t *testing.T) {
	for name, newQueue := range backends {
		t.Run(name, func(t *testing.T) { runSuite(t, newQueue) })
	}
}

// TestOnRedisCluster runs the suite on a three-node Redis Cluster: every
// key shares a hash slot, so no command answers CROSSSLOT.
func TestOnRedisCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := cluster.Client(t)
	runSuite(t, func(t *testing.T, lease time.Duration, max int64) Queue {
		q := NewRedis(rdb, redistest.Prefix(t, rdb), lease, max)
		q.Block = 50 * time.Millisecond
		return q
	})
}

func runSuite(t *testing.T, newQueue factory) {
	for tname, test := range map[string]func(*testing.T, factory){
		"EnqueueTakeAck":             testEnqueueTakeAck,
		"WorkersTakeOnlyWhatTheyCan": testWorkersTakeOnlyWhatTheyCanRun,
		"FullQueue":                  testFullQueue,
		"TakeOverAfterLease":         testTakeOverAfterLease,
		"RenewAndRelease":            testRenewAndRelease,
		"EachJobToOneWorker":         testEachJobToOneWorker,
	} {
		t.Run(tname, func(t *testing.T) { test(t, newQueue) })
	}
}

func take(t *testing.T, q Queue, consumer string, classes []string, within time.Duration) Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	l, err := q.Take(ctx, consumer, classes)
	if err != nil {
		return nil
	}
	return l
}

func testEnqueueTakeAck(t *testing.T, newQueue factory) {
	q := newQueue(t, time.Minute, 10)
	ctx := context.Background()
	if err := q.Enqueue(ctx, Job{ID: "j1", Needs: []string{"documents"}, Payload: []byte(`{"tasks":{}}`)}); err != nil {
		t.Fatal(err)
	}
	if d, _ := q.Depth(ctx); d != 1 {
		t.Errorf("depth %d, want 1", d)
	}
	l := take(t, q, "w1", Classes([]string{"documents", "pdf"}), time.Second)
	if l == nil || l.Job().ID != "j1" || string(l.Job().Payload) != `{"tasks":{}}` || l.Job().Attempt != 1 ||
		!slices.Equal(l.Job().Needs, []string{"documents"}) || time.Since(l.Job().Enqueued) > time.Minute {
		t.Fatalf("took %+v", l)
	}
	if err := l.Renew(ctx); err != nil {
		t.Errorf("renew: %v", err)
	}
	if err := l.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ := q.Depth(ctx); d != 0 {
		t.Errorf("depth after ack %d, want 0", d)
	}
	if again := take(t, q, "w2", Classes([]string{"documents"}), 200*time.Millisecond); again != nil {
		t.Errorf("an acknowledged job was taken again: %+v", again.Job())
	}
}

// A worker never gets a job that needs an engine it lacks.
func testWorkersTakeOnlyWhatTheyCanRun(t *testing.T, newQueue factory) {
	q := newQueue(t, time.Minute, 10)
	ctx := context.Background()
	q.Enqueue(ctx, Job{ID: "web", Needs: []string{"web"}})
	q.Enqueue(ctx, Job{ID: "doc+pdf", Needs: []string{"pdf", "documents"}})
	q.Enqueue(ctx, Job{ID: "plain"})
	imagesOnly := Classes([]string{"images"})
	var got []string
	for {
		l := take(t, q, "images-worker", imagesOnly, 200*time.Millisecond)
		if l == nil {
			break
		}
		got = append(got, l.Job().ID)
		l.Ack(ctx)
	}
	if !slices.Equal(got, []string{"plain"}) {
		t.Errorf("an images-only worker took %v, want only the job that needs no engine", got)
	}
	l := take(t, q, "office-worker", Classes([]string{"documents", "pdf", "images"}), time.Second)
	if l == nil || l.Job().ID != "doc+pdf" {
		t.Fatalf("office worker took %+v", l)
	}
	l.Ack(ctx)
	if l := take(t, q, "office-worker", Classes([]string{"documents", "pdf", "images"}), 200*time.Millisecond); l != nil {
		t.Errorf("office worker took %s, a web job", l.Job().ID)
	}
}

func testFullQueue(t *testing.T, newQueue factory) {
	q := newQueue(t, time.Minute, 2)
	ctx := context.Background()
	for i := range 2 {
		if err := q.Enqueue(ctx, Job{ID: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Enqueue(ctx, Job{ID: "3"}); !errors.Is(err, ErrFull) {
		t.Fatalf("third job: %v, want ErrFull", err)
	}
	l := take(t, q, "w", Classes(nil), time.Second)
	l.Ack(ctx)
	if err := q.Enqueue(ctx, Job{ID: "3"}); err != nil {
		t.Errorf("after one ended: %v", err)
	}
}

// A job whose worker stops renewing is taken over after the lease, counted
// as another attempt; the first worker can then neither renew nor end it.
func testTakeOverAfterLease(t *testing.T, newQueue factory) {
	q := newQueue(t, 300*time.Millisecond, 10)
	ctx := context.Background()
	q.Enqueue(ctx, Job{ID: "j"})
	dead := take(t, q, "dead", Classes(nil), time.Second)
	if dead == nil {
		t.Fatal("no job")
	}
	if l := take(t, q, "other", Classes(nil), 150*time.Millisecond); l != nil {
		t.Fatalf("taken over before the lease ran out: %+v", l.Job())
	}
	l := take(t, q, "other", Classes(nil), 2*time.Second)
	if l == nil || l.Job().ID != "j" || l.Job().Attempt != 2 {
		t.Fatalf("takeover: %+v", l)
	}
	if err := dead.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("the first worker renewed a job taken over: %v", err)
	}
	if err := dead.Ack(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("the first worker ended a job taken over: %v", err)
	}
	if d, _ := q.Depth(ctx); d != 1 {
		t.Errorf("depth %d, want 1: the job is still running", d)
	}
	// A third attempt after the second worker stops renewing too.
	third := take(t, q, "third", Classes(nil), 2*time.Second)
	if third == nil || third.Job().Attempt != 3 {
		t.Fatalf("third attempt: %+v", third)
	}
	if err := third.Ack(ctx); err != nil {
		t.Fatal(err)
	}
}

// Renewing keeps the job; releasing hands it back at once without
// spending an attempt.
func testRenewAndRelease(t *testing.T, newQueue factory) {
	q := newQueue(t, 300*time.Millisecond, 10)
	ctx := context.Background()
	q.Enqueue(ctx, Job{ID: "j"})
	l := take(t, q, "w1", Classes(nil), time.Second)
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		if err := l.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		if other := take(t, q, "w2", Classes(nil), 10*time.Millisecond); other != nil {
			t.Fatalf("a renewed job was taken over")
		}
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	back := take(t, q, "w2", Classes(nil), time.Second)
	if back == nil || back.Job().ID != "j" || back.Job().Attempt != 1 {
		t.Fatalf("after release: %+v", back)
	}
	if time.Since(start) > 200*time.Millisecond {
		t.Errorf("a released job waited %v to be taken", time.Since(start))
	}
	if err := l.Ack(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("the releasing worker ended the job: %v", err)
	}
	back.Ack(ctx)
}

func TestClasses(t *testing.T) {
	if got := Class([]string{"pdf", "documents", "pdf", ""}); got != "documents+pdf" {
		t.Errorf("Class = %q", got)
	}
	if got := Class(nil); got != "none" {
		t.Errorf("Class(nil) = %q", got)
	}
	got := Classes([]string{"web", "documents"})
	slices.Sort(got)
	if !slices.Equal(got, []string{"documents", "documents+web", "none", "web"}) {
		t.Errorf("Classes = %v", got)
	}
}

// Workers taking at once never get the same job.
func testEachJobToOneWorker(t *testing.T, newQueue factory) {
	q := newQueue(t, time.Minute, 1000)
	ctx := context.Background()
	const n = 60
	for i := range n {
		if err := q.Enqueue(ctx, Job{ID: fmt.Sprint(i), Needs: []string{[]string{"a", "b"}[i%2]}}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprint("w", w)
			for {
				l := take(t, q, name, Classes([]string{"a", "b"}), 300*time.Millisecond)
				if l == nil {
					return
				}
				mu.Lock()
				if other, dup := seen[l.Job().ID]; dup {
					t.Errorf("job %s went to %s and %s", l.Job().ID, other, name)
				}
				seen[l.Job().ID] = name
				mu.Unlock()
				if err := l.Ack(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d jobs taken, want %d", len(seen), n)
	}
	if d, _ := q.Depth(ctx); d != 0 {
		t.Errorf("depth %d after every job ended", d)
	}
}

// TestRedisQueueAfterDataLoss: the consumer groups a queue made are gone
// (Redis restarted without its data); the next Take makes them again and
// takes the next job instead of failing with NOGROUP.
func TestRedisQueueAfterDataLoss(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	q := NewRedis(rdb, prefix, time.Minute, 10)
	q.Block = 50 * time.Millisecond
	ctx := context.Background()
	classes := Classes([]string{"documents"})
	if err := q.Enqueue(ctx, Job{ID: "j1", Needs: []string{"documents"}}); err != nil {
		t.Fatal(err)
	}
	l := take(t, q, "w1", classes, time.Second)
	if l == nil {
		t.Fatal("no job")
	}
	l.Ack(ctx)
	for _, c := range classes {
		rdb.Del(ctx, q.stream(c))
	}
	got := make(chan Lease, 1)
	go func() {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		l, err := q.Take(tctx, "w1", classes)
		if err != nil {
			t.Errorf("take after the loss: %v", err)
		}
		got <- l
	}()
	time.Sleep(100 * time.Millisecond) // the read finds no group first
	if err := q.Enqueue(ctx, Job{ID: "j2", Needs: []string{"documents"}}); err != nil {
		t.Fatal(err)
	}
	if l := <-got; l == nil || l.Job().ID != "j2" {
		t.Fatalf("took %v", l)
	}
}
