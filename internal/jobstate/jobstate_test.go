package jobstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// backend starts an empty store for t and returns how to get one more
// instance of it: instances share the states, as the gateway's instances
// share one Redis. The instances of Memory are that one Memory.
type backend func(t *testing.T) (instance func() Store)

var backends = map[string]backend{
	"memory": func(t *testing.T) func() Store {
		m := NewMemory()
		return func() Store { return m }
	},
	"redis": func(t *testing.T) func() Store {
		rdb, prefix := redistest.Client(t)
		return redisInstances(t, rdb, prefix)
	},
}

// secret is in every status the tests put: no log line may show it.
const secret = "X-Sig=s3cr3t"

// redisInstances makes Redis stores on rdb under prefix, each closed when
// t ends and subscribed before it is returned (a state put before a store
// subscribed would reach none of its watchers). No log line of theirs may
// show a status.
func redisInstances(t *testing.T, rdb redis.UniversalClient, prefix string) func() Store {
	logs := &testutil.LogBuffer{}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a status was logged:\n%s", logs)
		}
	})
	return func() Store {
		s := NewRedis(rdb, prefix, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		t.Cleanup(func() { s.Close() })
		select {
		case <-s.subscribed:
		case <-time.After(10 * time.Second):
			t.Fatal("the store did not subscribe within 10s")
		}
		return s
	}
}

// TestConformance runs every test on both stores: they keep one contract.
func TestConformance(t *testing.T) {
	for name, b := range backends {
		t.Run(name, func(t *testing.T) { runSuite(t, b) })
	}
}

// TestOnRedisCluster runs the suite on a three-node Redis Cluster: the
// states of jobs spread over its slots, the script touches one key, and
// the subscription of one node hears what every node publishes.
func TestOnRedisCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := cluster.Client(t)
	runSuite(t, func(t *testing.T) func() Store { return redisInstances(t, rdb, redistest.Prefix(t, rdb)) })
	t.Run("EveryNode", func(t *testing.T) { testEveryNode(t, rdb, redisInstances(t, rdb, redistest.Prefix(t, rdb))) })
}

// A state put on any node of the Cluster reaches the watchers of every
// instance, whichever node each subscribed to.
func testEveryNode(t *testing.T, rdb redis.UniversalClient, instance func() Store) {
	edge, worker := instance(), instance()
	ctx := context.Background()
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	nodeOf := func(slot int64) string {
		for _, r := range slots {
			if int64(r.Start) <= slot && slot <= int64(r.End) {
				return r.Nodes[0].Addr
			}
		}
		t.Fatalf("no node serves slot %d", slot)
		return ""
	}
	// A job on each node.
	var ids []string
	covered := map[string]bool{}
	for i := 0; len(covered) < 3; i++ {
		if i == 10000 {
			t.Fatalf("jobs land on %d nodes only", len(covered))
		}
		id := fmt.Sprint("job-", i)
		slot, err := rdb.ClusterKeySlot(ctx, "jobstate:{"+id+"}").Result()
		if err != nil {
			t.Fatal(err)
		}
		if node := nodeOf(slot); !covered[node] {
			covered[node] = true
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		states, cancel := edge.Watch(id)
		defer cancel()
		put(t, worker, id, final(100, 1))
		if got := receive(t, states, id); !same(got, final(100, 1)) {
			t.Fatalf("%s: got %s", id, got.Status)
		}
	}
}

func runSuite(t *testing.T, b backend) {
	for name, test := range map[string]func(*testing.T, func() Store){
		"PutGet":               testPutGet,
		"Expiry":               testExpiry,
		"Attempts":             testAttempts,
		"FinalNeverReplaced":   testFinalNeverReplaced,
		"WatchAcrossInstances": testWatchAcrossInstances,
		"SlowWatcherGetsLast":  testSlowWatcherGetsLatest,
		"Cancel":               testCancel,
		"ManyWatchers":         testManyWatchers,
		"OtherJobsUnseen":      testOtherJobsUnseen,
		"Close":                testClose,
		"ConcurrentPuts":       testConcurrentPuts,
	} {
		t.Run(name, func(t *testing.T) { test(t, b(t)) })
	}
}

// status is a job's status JSON at percent, with a signed URL in it.
func status(percent int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":"j","status":"processing","percent":%d,"url":"https://out.example/f?%s"}`, percent, secret))
}

func progress(percent, attempt int) State {
	return State{Status: status(percent), Attempt: attempt}
}

func final(percent, attempt int) State {
	return State{Status: status(percent), Final: true, Attempt: attempt}
}

func put(t *testing.T, s Store, id string, st State) bool {
	t.Helper()
	ok, err := s.Put(context.Background(), id, st, time.Minute)
	if err != nil {
		t.Fatalf("put %s: %v", id, err)
	}
	return ok
}

func get(t *testing.T, s Store, id string) (State, bool) {
	t.Helper()
	st, ok, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return st, ok
}

func same(a, b State) bool {
	return string(a.Status) == string(b.Status) && a.Final == b.Final && a.Attempt == b.Attempt
}

// receive waits for a state on ch.
func receive(t *testing.T, ch <-chan State, what string) State {
	t.Helper()
	select {
	case st := <-ch:
		return st
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no state within 5s", what)
		return State{}
	}
}

// empty fails when ch holds a state.
func empty(t *testing.T, ch <-chan State, what string) {
	t.Helper()
	select {
	case st := <-ch:
		t.Errorf("%s: got %s (final %v, attempt %d)", what, st.Status, st.Final, st.Attempt)
	default:
	}
}

// barrier puts a state through from and waits until watcher has delivered
// it. Its job shares id's hash slot (the key's hash tag ends at the first
// "}"), so on a Cluster too every message about id published before has
// been delivered by then: one node publishes both, in order.
func barrier(t *testing.T, watcher, from Store, id string) {
	t.Helper()
	bid := id + "}barrier"
	ch, cancel := watcher.Watch(bid)
	defer cancel()
	put(t, from, bid, progress(1, 1))
	receive(t, ch, "barrier")
}

func testPutGet(t *testing.T, instance func() Store) {
	s := instance()
	if _, ok := get(t, s, "j"); ok {
		t.Fatal("a state of a job never put")
	}
	want := progress(40, 1)
	in := State{Status: append(json.RawMessage(nil), want.Status...), Attempt: 1}
	if !put(t, s, "j", in) {
		t.Fatal("first put refused")
	}
	in.Status[0] = '[' // the caller's slice is the caller's
	got, ok := get(t, s, "j")
	if !ok || !same(got, want) {
		t.Fatalf("got %s %+v, want %s", got.Status, got, want.Status)
	}
	got.Status[0] = '['
	if again, _ := get(t, instance(), "j"); !same(again, want) {
		t.Fatalf("another instance got %s, want %s", again.Status, want.Status)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, "j", State{Status: json.RawMessage(`{"percent":`)}, time.Minute); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("invalid status: %v", err)
	}
	if _, err := s.Put(ctx, "j", progress(50, 1), 0); !errors.Is(err, ErrInvalidTTL) {
		t.Errorf("no ttl: %v", err)
	}
}

func testExpiry(t *testing.T, instance func() Store) {
	s := instance()
	ctx := context.Background()
	if ok, err := s.Put(ctx, "j", final(100, 1), 150*time.Millisecond); !ok || err != nil {
		t.Fatalf("put: %v %v", ok, err)
	}
	if _, ok := get(t, s, "j"); !ok {
		t.Fatal("gone at once")
	}
	testutil.Eventually(t, 5*time.Second, "the state expires", func() bool {
		_, ok := get(t, s, "j")
		return !ok
	})
	// An expired final state is no state: it holds nothing back.
	if !put(t, s, "j", progress(10, 1)) {
		t.Fatal("a put after the final state expired was refused")
	}
}

// A worker whose lease was taken over cannot overwrite its successor's
// progress; the attempt that holds the job may write again and again.
func testAttempts(t *testing.T, instance func() Store) {
	s := instance()
	put(t, s, "j", progress(20, 2))
	if put(t, s, "j", progress(90, 1)) {
		t.Error("an older attempt replaced the state")
	}
	if got, _ := get(t, s, "j"); !same(got, progress(20, 2)) {
		t.Errorf("after a refused put: %s attempt %d", got.Status, got.Attempt)
	}
	if !put(t, s, "j", progress(30, 2)) {
		t.Error("the same attempt was refused")
	}
	if !put(t, s, "j", progress(5, 3)) {
		t.Error("a later attempt was refused")
	}
	if got, _ := get(t, s, "j"); !same(got, progress(5, 3)) {
		t.Errorf("got %s attempt %d", got.Status, got.Attempt)
	}
}

func testFinalNeverReplaced(t *testing.T, instance func() Store) {
	s := instance()
	put(t, s, "j", progress(50, 1))
	if !put(t, s, "j", final(100, 1)) {
		t.Fatal("the final state was refused")
	}
	for _, st := range []State{progress(60, 1), progress(0, 5), final(100, 1), final(100, 5)} {
		if put(t, s, "j", st) {
			t.Errorf("a final state was replaced by %s (final %v, attempt %d)", st.Status, st.Final, st.Attempt)
		}
	}
	if got, _ := get(t, s, "j"); !same(got, final(100, 1)) {
		t.Errorf("got %s final %v attempt %d", got.Status, got.Final, got.Attempt)
	}
}

// The instance that received the request sees the progress and the final
// state a worker writes on another instance; so does the worker's own.
func testWatchAcrossInstances(t *testing.T, instance func() Store) {
	edge, worker := instance(), instance()
	states, cancel := edge.Watch("j")
	defer cancel()
	own, cancelOwn := worker.Watch("j")
	defer cancelOwn()
	put(t, worker, "j", progress(10, 1))
	if got := receive(t, states, "progress"); !same(got, progress(10, 1)) {
		t.Fatalf("edge got %s", got.Status)
	}
	receive(t, own, "progress on the worker's instance")
	put(t, worker, "j", final(100, 1))
	if got := receive(t, states, "final"); !same(got, final(100, 1)) {
		t.Fatalf("edge got %s, final %v", got.Status, got.Final)
	}
	receive(t, own, "final on the worker's instance")
	// A refused put tells nobody.
	put(t, worker, "j", progress(0, 2))
	barrier(t, edge, worker, "j")
	empty(t, states, "after a refused put")
}

// A watcher that reads nothing while states are put then reads the last one.
func testSlowWatcherGetsLatest(t *testing.T, instance func() Store) {
	edge, worker := instance(), instance()
	states, cancel := edge.Watch("j")
	defer cancel()
	for p := range 50 {
		put(t, worker, "j", progress(p, 1))
	}
	put(t, worker, "j", final(100, 1))
	barrier(t, edge, worker, "j")
	if got := receive(t, states, "latest"); !same(got, final(100, 1)) {
		t.Fatalf("a slow watcher got %s (final %v), not the last state", got.Status, got.Final)
	}
	empty(t, states, "after the latest")
}

func testCancel(t *testing.T, instance func() Store) {
	edge, worker := instance(), instance()
	gone, cancelGone := edge.Watch("j")
	kept, cancelKept := edge.Watch("j")
	cancelGone()
	cancelGone()
	put(t, worker, "j", progress(10, 1))
	receive(t, kept, "the watcher still watching")
	empty(t, gone, "a cancelled watcher")
	cancelKept()
	cancelKept()
	put(t, worker, "j", progress(20, 1))
	barrier(t, edge, worker, "j")
	empty(t, kept, "a watcher cancelled later")
}

func testManyWatchers(t *testing.T, instance func() Store) {
	a, b := instance(), instance()
	var chans []<-chan State
	for i := range 40 {
		s := a
		if i%2 == 1 {
			s = b
		}
		ch, cancel := s.Watch("j")
		defer cancel()
		chans = append(chans, ch)
	}
	put(t, b, "j", final(100, 1))
	for i, ch := range chans {
		if got := receive(t, ch, fmt.Sprint("watcher ", i)); !same(got, final(100, 1)) {
			t.Fatalf("watcher %d got %s", i, got.Status)
		}
	}
}

func testOtherJobsUnseen(t *testing.T, instance func() Store) {
	edge, worker := instance(), instance()
	x, cancelX := edge.Watch("x")
	defer cancelX()
	y, cancelY := edge.Watch("y")
	defer cancelY()
	put(t, worker, "y", final(100, 1))
	receive(t, y, "y's watcher")
	empty(t, x, "x's watcher, after a state of y")
	if _, ok := get(t, edge, "x"); ok {
		t.Error("x has a state")
	}
}

func testClose(t *testing.T, instance func() Store) {
	s := instance()
	_, cancel := s.Watch("j")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	cancel()
	if r, ok := s.(*Redis); ok {
		select {
		case <-r.done:
		default:
			t.Error("the dispatcher still runs after Close")
		}
	}
}

// Workers of several attempts put at once: the state ends as the last
// attempt's, and watchers see it last.
func testConcurrentPuts(t *testing.T, instance func() Store) {
	edge := instance()
	states, cancel := edge.Watch("j")
	defer cancel()
	var wg sync.WaitGroup
	for attempt := 1; attempt <= 4; attempt++ {
		w := instance()
		wg.Go(func() {
			for p := range 20 {
				if _, err := w.Put(context.Background(), "j", progress(p, attempt), time.Minute); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got, _ := get(t, edge, "j"); !same(got, progress(19, 4)) {
		t.Fatalf("got %s attempt %d, want the last attempt's last progress", got.Status, got.Attempt)
	}
	barrier(t, edge, edge, "j")
	if got := receive(t, states, "the last state"); !same(got, progress(19, 4)) {
		t.Fatalf("the watcher's last state is %s attempt %d", got.Status, got.Attempt)
	}
}
