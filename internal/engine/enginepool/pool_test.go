package enginepool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

// fake is a worker that is a flag and a number.
type fake struct {
	id     int64
	slot   int
	rss    int64
	dead   atomic.Bool
	closed atomic.Int32
}

func (f *fake) Alive() bool  { return !f.dead.Load() }
func (f *fake) RSS() int64   { return f.rss }
func (f *fake) Close() error { f.dead.Store(true); f.closed.Add(1); return nil }

type factory struct {
	mu      sync.Mutex
	n       int64
	all     []*fake
	fail    atomic.Bool
	rss     int64
	started chan int
}

func (fa *factory) start(ctx context.Context, slot int) (*fake, error) {
	if fa.fail.Load() {
		return nil, errors.New("cannot start")
	}
	fa.mu.Lock()
	defer fa.mu.Unlock()
	fa.n++
	w := &fake{id: fa.n, slot: slot, rss: fa.rss}
	fa.all = append(fa.all, w)
	return w, nil
}

func newPool(t *testing.T, cfg Config, fa *factory) *Pool[*fake] {
	t.Helper()
	fa.started = make(chan int, 100)
	cfg.OnStart = func(slot int, err error) {
		if err == nil {
			fa.started <- slot
		}
	}
	p := New(cfg, fa.start)
	t.Cleanup(func() { p.Close() })
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range cfg.Slots {
		<-fa.started
	}
	return p
}

func await(t *testing.T, ch chan int) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no worker started")
	}
}

func TestRetryOnceAfterWorkerLost(t *testing.T) {
	tests := []struct {
		name      string
		failures  int
		wantCalls int
		wantErr   bool
	}{
		{"first attempt lost", 1, 2, false},
		{"both attempts lost", 2, 2, true},
		{"no loss", 0, 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fa := &factory{}
			p := newPool(t, Config{Name: "fake", Slots: 2}, fa)
			calls := 0
			var used []int64
			err := p.Do(context.Background(), func(ctx context.Context, w *fake) error {
				calls++
				used = append(used, w.id)
				if calls <= tc.failures {
					w.dead.Store(true)
					return fmt.Errorf("%w: crashed", ErrWorkerLost)
				}
				return nil
			})
			if (err != nil) != tc.wantErr || calls != tc.wantCalls {
				t.Fatalf("err %v, calls %d; want error %v, calls %d", err, calls, tc.wantErr, tc.wantCalls)
			}
			if len(used) == 2 && used[0] == used[1] {
				t.Errorf("the retry ran on the worker that was lost")
			}
			for range tc.failures {
				await(t, fa.started)
			}
			if st := p.Stats(); st.Alive != 2 {
				t.Errorf("alive %d, want 2 after replacement", st.Alive)
			}
		})
	}
}

// The log says "retrying once" only where a retry follows: a job that
// loses its worker twice logs that line for the first loss and another,
// saying the pool gives up, for the second.
func TestWorkerLostTwiceLogsOneRetry(t *testing.T) {
	var buf testutil.LogBuffer
	fa := &factory{}
	p := newPool(t, Config{Name: "fake", Slots: 2, Logger: slog.New(slog.NewTextHandler(&buf, nil))}, fa)
	err := p.Do(context.Background(), func(ctx context.Context, w *fake) error {
		w.dead.Store(true)
		return fmt.Errorf("%w: crashed", ErrWorkerLost)
	})
	if !errors.Is(err, ErrWorkerLost) {
		t.Fatalf("Do: %v, want ErrWorkerLost", err)
	}
	await(t, fa.started)
	await(t, fa.started)
	var retrying, givingUp int
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "retrying once") {
			retrying++
		}
		if strings.Contains(line, "giving up") {
			givingUp++
			if !strings.Contains(line, "level=WARN") {
				t.Errorf("the line of the second loss is not a warning: %s", line)
			}
		}
	}
	if retrying != 1 || givingUp != 1 {
		t.Errorf("%d lines say retrying once and %d giving up, want 1 and 1:\n%s", retrying, givingUp, buf.String())
	}
}

func TestOtherErrorsAreNotRetried(t *testing.T) {
	fa := &factory{}
	p := newPool(t, Config{Slots: 1}, fa)
	calls := 0
	bad := errors.New("bad document")
	err := p.Do(context.Background(), func(ctx context.Context, w *fake) error { calls++; return bad })
	if !errors.Is(err, bad) || calls != 1 {
		t.Fatalf("err %v, calls %d; want bad document once", err, calls)
	}
}

func TestRecycling(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		rss  int64
	}{
		{"max jobs", Config{Slots: 1, MaxJobs: 3}, 0},
		{"max rss", Config{Slots: 1, MaxRSS: 100}, 101},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fa := &factory{rss: tc.rss}
			p := newPool(t, tc.cfg, fa)
			jobs := 3
			if tc.rss > 0 {
				jobs = 1
			}
			var first *fake
			for range jobs {
				p.Do(context.Background(), func(ctx context.Context, w *fake) error {
					if first == nil {
						first = w
					}
					if w != first {
						t.Errorf("job ran on a new worker before the old one was due")
					}
					return nil
				})
			}
			await(t, fa.started)
			if first.closed.Load() == 0 {
				t.Error("the recycled worker was not closed")
			}
			p.Do(context.Background(), func(ctx context.Context, w *fake) error {
				if w == first {
					t.Error("job ran on the recycled worker")
				}
				return nil
			})
		})
	}
}

func TestOneJobPerWorker(t *testing.T) {
	fa := &factory{}
	p := newPool(t, Config{Slots: 2}, fa)
	var mu sync.Mutex
	busy := map[*fake]bool{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			p.Do(context.Background(), func(ctx context.Context, w *fake) error {
				mu.Lock()
				if busy[w] {
					t.Error("two jobs on one worker")
				}
				busy[w] = true
				mu.Unlock()
				time.Sleep(time.Millisecond) // hold the worker so jobs overlap
				mu.Lock()
				busy[w] = false
				mu.Unlock()
				return nil
			})
		})
	}
	wg.Wait()
}

func TestNoWorkerFailsFast(t *testing.T) {
	fa := &factory{}
	fa.fail.Store(true)
	p := New(Config{Name: "fake", Slots: 2}, fa.start)
	defer p.Close()
	if err := p.Start(context.Background()); err == nil {
		t.Fatal("Start succeeded with no worker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.Do(ctx, func(ctx context.Context, w *fake) error { return nil })
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do: %v, want an immediate start error", err)
	}
}

func TestCloseKillsBusyAndIdleWorkers(t *testing.T) {
	fa := &factory{}
	p := newPool(t, Config{Slots: 2}, fa)
	inJob := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- p.Do(context.Background(), func(ctx context.Context, w *fake) error {
			close(inJob)
			for w.Alive() {
				runtime.Gosched()
			}
			return fmt.Errorf("%w: killed", ErrWorkerLost)
		})
	}()
	<-inJob
	p.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("busy job: %v, want ErrClosed", err)
	}
	for _, w := range fa.all {
		if w.Alive() {
			t.Errorf("worker %d alive after Close", w.id)
		}
	}
	if err := p.Do(context.Background(), func(context.Context, *fake) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v", err)
	}
}
