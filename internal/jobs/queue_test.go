package jobs

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/imagego"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/jobstate"
	"github.com/signedgate/gateway/internal/queue"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// sharedQueue is an in-process queue that the service takes for a shared
// one, as if other processes also took its jobs: a job stopped at shutdown
// goes back to it.
type sharedQueue struct{ *queue.Memory }

// peer is one process of a fleet: an edge (no workers) or a worker, on a
// queue and job states shared with the others.
type peer struct {
	svc *Service
	reg *prometheus.Registry
}

type peerOpts struct {
	workers     int
	lease       time.Duration
	maxAttempts int
	poll        time.Duration
	engines     []engine.Engine
}

func newPeer(t *testing.T, h *harness, q queue.Queue, states jobstate.Store, o peerOpts) *peer {
	t.Helper()
	reg := engine.NewRegistry()
	catalog := engine.NewRegistry()
	if o.workers > 0 {
		for _, e := range o.engines {
			reg.Register(e)
		}
		reg.Register(imagego.New(imagego.Config{}))
	}
	// The catalog knows the block engine whichever peer this is.
	catalog.Register(newBlockEngine())
	catalog.Register(imagego.New(imagego.Config{}))
	p := &peer{reg: prometheus.NewRegistry()}
	p.svc = NewService(Config{
		Workers: o.workers, Lease: o.lease, MaxAttempts: o.maxAttempts, Poll: o.poll, WorkDir: t.TempDir(),
	}, Deps{
		Registry: reg, Catalog: catalog, Outputs: h.out, Queue: q, States: states,
		Metrics: server.NewMetrics(p.reg), Log: slog.New(slog.DiscardHandler),
	})
	t.Cleanup(p.svc.Close)
	return p
}

func (p *peer) submit(t *testing.T, jobJSON string) *Handle {
	t.Helper()
	spec, err := jobspec.Decode([]byte(jobJSON))
	if err != nil {
		t.Fatal(err)
	}
	hd, err := p.svc.Submit(spec)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return hd
}

// counter is the value of a counter of p's metrics with the given labels.
func (p *peer) counter(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := p.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

var blockClasses = queue.Classes([]string{"block"})

// takeAndDie leases the next job as a worker that dies at once: it never
// renews nor ends its lease.
func takeAndDie(t *testing.T, q queue.Queue, name string) queue.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := q.Take(ctx, name, blockClasses)
	if err != nil {
		t.Fatalf("%s: take: %v", name, err)
	}
	return l
}

func waitHandle(t *testing.T, hd *Handle, within time.Duration) Status {
	t.Helper()
	select {
	case <-hd.Done():
	case <-time.After(within):
		t.Fatalf("job %s did not end within %s: %+v", hd.ID(), within, hd.Status())
	}
	return hd.Status()
}

func TestEdgeRunsNothingAndAWorkerTakesOverFromADeadOne(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	q := sharedQueue{queue.NewMemory(200*time.Millisecond, 10)}
	states := jobstate.NewMemory()
	edge := newPeer(t, h, q, states, peerOpts{lease: 200 * time.Millisecond})
	hd := edge.submit(t, blockJob)
	if st := hd.Status(); st.Status != StatusWaiting || len(st.Tasks) != 3 {
		t.Fatalf("submitted: %+v", st)
	}
	dead := takeAndDie(t, q, "dead")
	if dead.Job().ID != hd.ID() || dead.Job().Attempt != 1 {
		t.Fatalf("took %+v", dead.Job())
	}
	eng := newBlockEngine()
	close(eng.release)
	worker := newPeer(t, h, q, states, peerOpts{workers: 1, lease: 200 * time.Millisecond, engines: []engine.Engine{eng}})
	st := waitHandle(t, hd, 10*time.Second)
	if st.Status != StatusFinished {
		t.Fatalf("job: %+v", st)
	}
	if _, ok := st.RedirectURL(); !ok {
		t.Errorf("no output URL in %+v", st)
	}
	if edge.svc.Started() != 0 || worker.svc.Started() != 1 {
		t.Errorf("started: edge %d, worker %d", edge.svc.Started(), worker.svc.Started())
	}
	if got := worker.counter(t, "gateway_job_takeovers_total", nil); got != 1 {
		t.Errorf("takeovers %v, want 1", got)
	}
	if got := worker.counter(t, "gateway_job_attempts_total", map[string]string{"attempt": "2"}); got != 1 {
		t.Errorf("second attempts %v, want 1", got)
	}
	// The dead worker's lease is no longer its own.
	if err := dead.Ack(context.Background()); !errors.Is(err, queue.ErrLeaseLost) {
		t.Errorf("the dead worker's ack: %v", err)
	}
	// Any instance reads the status.
	got, ok, err := edge.svc.Get(context.Background(), hd.ID())
	if err != nil || !ok || got.Status != StatusFinished {
		t.Errorf("Get: %+v %v %v", got.Status, ok, err)
	}
}

func TestAJobBegunTooOftenFails(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	lease := 100 * time.Millisecond
	q := sharedQueue{queue.NewMemory(lease, 10)}
	states := jobstate.NewMemory()
	edge := newPeer(t, h, q, states, peerOpts{lease: lease, maxAttempts: 2})
	hd := edge.submit(t, blockJob)
	takeAndDie(t, q, "dead-1")
	if l := takeAndDie(t, q, "dead-2"); l.Job().Attempt != 2 {
		t.Fatalf("second take: attempt %d", l.Job().Attempt)
	}
	eng := newBlockEngine()
	worker := newPeer(t, h, q, states, peerOpts{workers: 1, lease: lease, maxAttempts: 2, engines: []engine.Engine{eng}})
	st := waitHandle(t, hd, 10*time.Second)
	if !st.Failed() || code(taskByName(t, st, "c")) != CodeTooManyAttempts {
		t.Fatalf("job: %+v", st)
	}
	if got := st.FailureHTTPStatus(); got != http.StatusUnprocessableEntity {
		t.Errorf("FailureHTTPStatus %d, want 422", got)
	}
	select {
	case <-eng.started:
		t.Errorf("the engine ran a job past its attempts")
	default:
	}
	if got := worker.counter(t, "gateway_job_attempts_total", map[string]string{"attempt": "over"}); got != 1 {
		t.Errorf("attempts over %v, want 1", got)
	}
	// The job leaves the queue (acknowledged just after its state is
	// written).
	testutil.Eventually(t, 5*time.Second, "the job to leave the queue", func() bool {
		n, _ := q.Depth(context.Background())
		return n == 0
	})
}

// lossyQueue hands out leases that are lost at their first renewal, as
// when another worker took the job over.
type lossyQueue struct {
	queue.Queue
	acked atomic.Bool
}

type lossyLease struct {
	queue.Lease
	q *lossyQueue
}

func (q *lossyQueue) Take(ctx context.Context, consumer string, classes []string) (queue.Lease, error) {
	l, err := q.Queue.Take(ctx, consumer, classes)
	if err != nil {
		return nil, err
	}
	return lossyLease{l, q}, nil
}

func (l lossyLease) Renew(context.Context) error { return queue.ErrLeaseLost }
func (l lossyLease) Ack(ctx context.Context) error {
	l.q.acked.Store(true)
	return l.Lease.Ack(ctx)
}

func TestALostLeaseStopsTheRun(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	q := &lossyQueue{Queue: sharedQueue{queue.NewMemory(90*time.Millisecond, 10)}}
	states := jobstate.NewMemory()
	eng := newBlockEngine() // never released: only a cancelled run ends
	worker := newPeer(t, h, q, states, peerOpts{workers: 1, lease: 90 * time.Millisecond, engines: []engine.Engine{eng}})
	hd := worker.submit(t, blockJob)
	<-eng.started
	// The run stops: the worker takes the next job (the same one, taken
	// over from itself once its lease ran out) and starts it again.
	select {
	case <-eng.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the run went on after its lease was lost")
	}
	if q.acked.Load() {
		t.Errorf("a worker that lost the lease acknowledged the job")
	}
	select {
	case <-hd.Done():
		t.Errorf("a run that lost its lease ended the job: %+v", hd.Status())
	default:
	}
}

func TestShutdownHandsTheRunningJobBack(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	q := sharedQueue{queue.NewMemory(time.Minute, 10)} // a takeover would take a minute
	states := jobstate.NewMemory()
	edge := newPeer(t, h, q, states, peerOpts{})
	stuck := newBlockEngine()
	first := newPeer(t, h, q, states, peerOpts{workers: 1, engines: []engine.Engine{stuck}})
	hd := edge.submit(t, blockJob)
	<-stuck.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	first.svc.Shutdown(ctx)
	select {
	case <-hd.Done():
		t.Fatalf("the job ended at the first worker's shutdown: %+v", hd.Status())
	default:
	}
	eng := newBlockEngine()
	close(eng.release)
	second := newPeer(t, h, q, states, peerOpts{workers: 1, engines: []engine.Engine{eng}})
	if st := waitHandle(t, hd, 10*time.Second); st.Status != StatusFinished {
		t.Fatalf("job: %+v", st)
	}
	// Handing back spent no attempt.
	if got := second.counter(t, "gateway_job_attempts_total", map[string]string{"attempt": "1"}); got != 1 {
		t.Errorf("first attempts on the second worker %v, want 1", got)
	}
}

// forgetful is a store that has lost every state (Redis restarted empty).
type forgetful struct{ jobstate.Store }

func (forgetful) Get(context.Context, string) (jobstate.State, bool, error) {
	return jobstate.State{}, false, nil
}

func TestAJobWhoseStateIsGoneIsLost(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	edge := newPeer(t, h, sharedQueue{queue.NewMemory(time.Minute, 10)}, forgetful{jobstate.NewMemory()},
		peerOpts{poll: 10 * time.Millisecond})
	st := waitHandle(t, edge.submit(t, blockJob), 5*time.Second)
	if !st.Failed() || code(taskByName(t, st, "c")) != CodeJobLost || st.FailureHTTPStatus() != http.StatusServiceUnavailable {
		t.Fatalf("job: %+v", st)
	}
}

// TestEdgeAndWorkerOnRedis runs the job of an edge on a worker of another
// service, through Redis, and reads its status from a third.
func TestEdgeAndWorkerOnRedis(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	rdb, prefix := redistest.Client(t)
	peerOn := func(o peerOpts) *peer {
		q := queue.NewRedis(rdb, prefix, time.Second, 10)
		q.Block = 100 * time.Millisecond
		states := jobstate.NewRedis(rdb, prefix, nil)
		t.Cleanup(func() { states.Close() })
		o.lease = time.Second
		return newPeer(t, h, q, states, o)
	}
	edge := peerOn(peerOpts{})
	eng := newBlockEngine()
	worker := peerOn(peerOpts{workers: 1, engines: []engine.Engine{eng}})
	other := peerOn(peerOpts{})
	hd := edge.submit(t, blockJob)
	<-eng.started
	// The edge sees the worker's progress.
	deadline := time.Now().Add(5 * time.Second)
	for hd.Status().Status != StatusProcessing {
		if time.Now().After(deadline) {
			t.Fatalf("the edge never saw the job running: %+v", hd.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(eng.release)
	if st := waitHandle(t, hd, 10*time.Second); st.Status != StatusFinished {
		t.Fatalf("job: %+v", st)
	}
	got, ok, err := other.svc.Get(context.Background(), hd.ID())
	if err != nil || !ok || got.Status != StatusFinished || got.Tasks[0].ID != hd.Status().Tasks[0].ID {
		t.Errorf("Get on another instance: %+v %v %v", got, ok, err)
	}
	if edge.svc.Started() != 0 || worker.svc.Started() != 1 {
		t.Errorf("started: edge %d, worker %d", edge.svc.Started(), worker.svc.Started())
	}
}

// outage makes a queue's leases and a state store fail while down is set,
// as Redis does while it is away.
type outage struct{ down atomic.Bool }

var errDown = errors.New("redis is down")

type outageQueue struct {
	queue.Queue
	o *outage
}

type outageLease struct {
	queue.Lease
	o *outage
}

type outageStates struct {
	jobstate.Store
	o *outage
}

func (q outageQueue) Take(ctx context.Context, consumer string, classes []string) (queue.Lease, error) {
	for q.o.down.Load() {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	l, err := q.Queue.Take(ctx, consumer, classes)
	if err != nil {
		return nil, err
	}
	return outageLease{l, q.o}, nil
}

func (l outageLease) Renew(ctx context.Context) error {
	if l.o.down.Load() {
		return errDown
	}
	return l.Lease.Renew(ctx)
}

func (l outageLease) Ack(ctx context.Context) error {
	if l.o.down.Load() {
		return errDown
	}
	return l.Lease.Ack(ctx)
}

func (s outageStates) Put(ctx context.Context, id string, st jobstate.State, ttl time.Duration) (bool, error) {
	if s.o.down.Load() {
		return false, errDown
	}
	return s.Store.Put(ctx, id, st, ttl)
}

// TestAResultMadeDuringAnOutageIsKept: a job that ends while Redis is
// away, and whose lease could not be renewed meanwhile, has its result
// written once Redis is back; it does not run again.
func TestAResultMadeDuringAnOutageIsKept(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	o := &outage{}
	lease := 150 * time.Millisecond
	q := outageQueue{sharedQueue{queue.NewMemory(lease, 10)}, o}
	states := outageStates{jobstate.NewMemory(), o}
	eng := newBlockEngine()
	worker := newPeer(t, h, q, states, peerOpts{workers: 1, lease: lease, engines: []engine.Engine{eng}})
	hd := worker.submit(t, blockJob)
	<-eng.started
	o.down.Store(true)
	close(eng.release)
	time.Sleep(3 * lease) // the lease cannot be renewed for longer than it lasts
	o.down.Store(false)
	if st := waitHandle(t, hd, 10*time.Second); st.Status != StatusFinished {
		t.Fatalf("job: %+v", st)
	}
	select {
	case <-eng.started:
		t.Errorf("the job ran again")
	case <-time.After(3 * lease):
	}
	testutil.Eventually(t, 5*time.Second, "the job to be acknowledged", func() bool {
		n, _ := q.Depth(context.Background())
		return n == 0
	})
}
