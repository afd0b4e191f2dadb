package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// fakeJob ends when the test closes done; its entry is then final.
type fakeJob struct {
	id       string
	done     chan struct{}
	location string // empty: the job fails
}

func newFakeJob(id, location string) *fakeJob {
	return &fakeJob{id: id, done: make(chan struct{}), location: location}
}

func (j *fakeJob) ID() string            { return j.id }
func (j *fakeJob) Done() <-chan struct{} { return j.done }
func (j *fakeJob) finish()               { close(j.done) }
func (j *fakeJob) ended() bool {
	select {
	case <-j.done:
		return true
	default:
		return false
	}
}

func (j *fakeJob) Entry() Entry {
	if !j.ended() {
		return Entry{JobID: j.id, Status: json.RawMessage(fmt.Sprintf(`{"id":%q,"status":"processing"}`, j.id))}
	}
	if j.location == "" {
		return Entry{JobID: j.id, Final: true, HTTPStatus: 422, Status: json.RawMessage(fmt.Sprintf(`{"id":%q,"status":"error"}`, j.id))}
	}
	return Entry{JobID: j.id, Final: true, Location: j.location, Status: json.RawMessage(fmt.Sprintf(`{"id":%q,"status":"finished"}`, j.id))}
}

// backends returns a factory of caches that share one state, as the
// instances of one deployment do.
type factory func(t *testing.T, opts Options) *Cache

func backends(t *testing.T) map[string]factory {
	return map[string]factory{
		"memory": func(t *testing.T, opts Options) *Cache {
			// Instances of the memory cache share nothing, so "two
			// instances" are one cache here.
			return NewMemory(opts)
		},
		"redis": func(t *testing.T, opts Options) *Cache {
			rdb, prefix := redistest.Client(t)
			c, err := NewRedis(context.Background(), rdb, prefix, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return c
		},
	}
}

func TestSingleFlight(t *testing.T) {
	for name, newCache := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCache(t, Options{})
			key := Key{"base1", "k", "hash1"}
			var starts atomic.Int32
			job := newFakeJob("job-1", "http://gw/outputs/a.jpg")
			const n = 20
			var wg sync.WaitGroup
			type answer struct {
				e   Entry
				src Source
				err error
			}
			answers := make(chan answer, n)
			var arrived sync.WaitGroup
			arrived.Add(n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					arrived.Done()
					e, src, err := c.Do(context.Background(), key, time.Minute, func() (Job, error) {
						starts.Add(1)
						return job, nil
					})
					answers <- answer{e, src, err}
				}()
			}
			arrived.Wait()
			// End the job once it started; requests still arriving then
			// find the result.
			testutil.Eventually(t, 10*time.Second, "the job starts", func() bool { return starts.Load() > 0 })
			job.finish()
			wg.Wait()
			close(answers)
			sources := map[Source]int{}
			for a := range answers {
				if a.err != nil {
					t.Fatal(a.err)
				}
				if a.e.Location != job.location || !a.e.Final {
					t.Errorf("got %+v, want final with location %q", a.e, job.location)
				}
				sources[a.src]++
			}
			if got := starts.Load(); got != 1 {
				t.Errorf("job started %d times, want 1", got)
			}
			if sources[Miss] != 1 || sources[Hit]+sources[Join] != n-1 {
				t.Errorf("sources %v: want one miss and %d hits or joins", sources, n-1)
			}
			// Later requests are hits.
			e, src, err := c.Do(context.Background(), key, time.Minute, func() (Job, error) {
				t.Error("a cached key started a job")
				return nil, fmt.Errorf("no")
			})
			if err != nil || src != Hit || e.Location != job.location {
				t.Errorf("after: got %+v, %s, %v", e, src, err)
			}
		})
	}
}

func TestSlowJobAnswersStatusThenResult(t *testing.T) {
	for name, newCache := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCache(t, Options{})
			key := Key{"b", "slow", "h"}
			job := newFakeJob("job-slow", "http://gw/outputs/x")
			e, src, err := c.Do(context.Background(), key, 50*time.Millisecond, func() (Job, error) { return job, nil })
			if err != nil || src != Miss || e.Final || e.JobID != job.id {
				t.Fatalf("first: got %+v, %s, %v; want the running job's status", e, src, err)
			}
			// Asking again while it runs joins it.
			e, src, err = c.Do(context.Background(), key, 50*time.Millisecond, func() (Job, error) {
				t.Error("a running key started a second job")
				return nil, fmt.Errorf("no")
			})
			if err != nil || src != Join || e.Final || e.JobID != job.id {
				t.Fatalf("second: got %+v, %s, %v; want to join the running job", e, src, err)
			}
			job.finish()
			testutil.Eventually(t, 10*time.Second, "the result is stored", func() bool {
				_, ok, _ := c.b.getResult(context.Background(), key.String())
				return ok
			})
			e, src, err = c.Do(context.Background(), key, time.Second, nil)
			if err != nil || src != Hit || e.Location != job.location {
				t.Fatalf("after: got %+v, %s, %v; want the cached result", e, src, err)
			}
		})
	}
}

func TestFailureIsSharedButNotCached(t *testing.T) {
	for name, newCache := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCache(t, Options{})
			followers := make(chan string, 1)
			c.following = func(k string) { followers <- k }
			key := Key{"b", "fail", "h"}
			failing := newFakeJob("job-fail", "")
			started := make(chan struct{})
			first := make(chan Entry, 1)
			go func() {
				e, _, _ := c.Do(context.Background(), key, time.Minute, func() (Job, error) {
					close(started)
					return failing, nil
				})
				first <- e
			}()
			<-started
			joined := make(chan Entry, 1)
			go func() {
				e, _, _ := c.Do(context.Background(), key, time.Minute, func() (Job, error) {
					t.Error("joined request started a job")
					return nil, fmt.Errorf("no")
				})
				joined <- e
			}()
			// End the job once the second request waits for it.
			<-followers
			c.following = nil
			failing.finish()
			for _, ch := range []chan Entry{first, joined} {
				if e := <-ch; !e.Final || e.HTTPStatus != 422 || e.JobID != failing.id {
					t.Errorf("got %+v, want the failure", e)
				}
			}
			retry := newFakeJob("job-retry", "http://gw/outputs/y")
			retry.finish()
			e, src, err := c.Do(context.Background(), key, time.Minute, func() (Job, error) { return retry, nil })
			if err != nil || src != Miss || e.Location != retry.location {
				t.Errorf("retry: got %+v, %s, %v; want a new job", e, src, err)
			}
		})
	}
}

func TestCrashedHolderLockExpires(t *testing.T) {
	for name, newCache := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCache(t, Options{Poll: 20 * time.Millisecond})
			key := Key{"b", "crash", "h"}
			// An instance took the lock and died: nobody renews it.
			if ok, err := c.b.acquire(context.Background(), key.String(), "dead/instance", 200*time.Millisecond); err != nil || !ok {
				t.Fatalf("acquire: %v %v", ok, err)
			}
			job := newFakeJob("job-after-crash", "http://gw/outputs/z")
			job.finish()
			e, src, err := c.Do(context.Background(), key, time.Minute, func() (Job, error) { return job, nil })
			if err != nil || src != Miss || e.Location != job.location {
				t.Fatalf("got %+v, %s, %v; want the job run after the lease expired", e, src, err)
			}
		})
	}
}

func TestLockHoldsJobIDAndIsRenewed(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c, err := NewRedis(context.Background(), rdb, prefix, Options{Lease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := Key{"b", "lease", "h"}
	job := newFakeJob("job-lease", "http://gw/o")
	if _, _, err := c.Do(context.Background(), key, time.Millisecond, func() (Job, error) { return job, nil }); err != nil {
		t.Fatal(err)
	}
	lockKey := prefix + lockNS + key.String()
	// Outlive several leases: the lock must still be there, renewed.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		v, err := rdb.Get(context.Background(), lockKey).Result()
		if err != nil {
			t.Fatalf("lock gone while the job runs: %v", err)
		}
		if want := job.id + "/"; len(v) <= len(want) || v[:len(want)] != want {
			t.Fatalf("lock value %q does not start with the job id", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
	job.finish()
	testutil.Eventually(t, 10*time.Second, "the lock is released", func() bool { return rdb.Exists(context.Background(), lockKey).Val() == 0 })
	ttl := rdb.TTL(context.Background(), ResultKey(prefix, key)).Val()
	if ttl <= 24*time.Hour-time.Minute || ttl > 24*time.Hour {
		t.Errorf("result TTL %v, want within (24h-1m, 24h]", ttl)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	m := newMemory(3)
	ctx := context.Background()
	for i := range 10 {
		if err := m.setResult(ctx, fmt.Sprint(i), Entry{JobID: fmt.Sprint(i)}, time.Duration(i+1)*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.results) != 3 {
		t.Fatalf("holds %d results, want 3", len(m.results))
	}
	// The entries closest to expiry went first.
	for _, k := range []string{"7", "8", "9"} {
		if _, ok, _ := m.getResult(ctx, k); !ok {
			t.Errorf("result %s evicted", k)
		}
	}
	m.setResult(ctx, "short", Entry{}, -time.Second)
	if _, ok, _ := m.getResult(ctx, "short"); ok {
		t.Error("expired result served")
	}
}
