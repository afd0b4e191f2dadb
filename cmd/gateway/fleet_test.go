package main

// Process-level tests of edges and workers (docs/jobs.md, "Edges and
// workers"): real gateway processes on one Redis and one S3 bucket, killed
// and restarted as a crash or an operator would. The harness is in
// fleet_harness_test.go (processes) and fleet_origin_test.go (the origin,
// requests, jobs).

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

// Concurrent first requests for one cache_key, spread over two edges, run
// one job on one worker, with one fetch of the origin, and all get the same
// redirect; the output downloads from either edge. Edges start no engine;
// workers start those they were given.
func TestFleetOneJobForManyFirstRequests(t *testing.T) {
	requireTools(t, "chromium")
	f := startFleet(t, "GATEWAY_SIGNED_URL_WAIT=30s")
	f.edge()
	f.edge()
	browser := f.worker(withChromium...)
	plain := f.worker()
	o := startOrigin(t, after(300*time.Millisecond), nil)
	f.createBase()
	u := f.mustSign(imageJob(o.url+"/img/once.png"), "once")

	const n = 100
	answers := make([]answer, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		e := f.edges[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = get(on(e, u), 30*time.Second)
		}()
	}
	close(start)
	wg.Wait()

	loc := answers[0].location
	bad := 0
	for i, a := range answers {
		if a.err != nil || a.status != http.StatusFound || a.location != loc || loc == "" {
			if bad++; bad <= 5 {
				t.Errorf("request %d: %d %v, Location %q (first: %q) %s", i, a.status, a.err, a.location, loc, a.body)
			}
		}
	}
	if got := o.count("/img/once.png"); got != 1 {
		t.Errorf("the origin was fetched %d times, want 1", got)
	}
	attempts := browser.mustMetric(t, "gateway_job_attempts_total") + plain.mustMetric(t, "gateway_job_attempts_total")
	if attempts != 1 {
		t.Errorf("the workers began %v jobs, want 1", attempts)
	}
	if loc != "" {
		for _, e := range f.edges {
			f.download(e, loc)
		}
	}

	for _, e := range f.edges {
		if c := e.children(); len(c) > 0 {
			t.Errorf("%s, an edge, has child processes %v", e.name, c)
		}
	}
	testutil.Eventually(t, 20*time.Second, browser.name+" runs Chromium", func() bool {
		return slices.ContainsFunc(browser.children(), func(c string) bool { return strings.Contains(c, "chrom") })
	})
	if c := plain.children(); len(c) > 0 {
		t.Errorf("%s, a worker given no external engine, has child processes %v", plain.name, c)
	}
}

// A worker killed while it runs a job: the other worker takes the job over
// once the lease has run out, and the request that waited on an edge all
// along gets its redirect.
func TestFleetWorkerKilledWhileRunning(t *testing.T) {
	f := startFleet(t, "GATEWAY_JOBS_LEASE=2s", "GATEWAY_SIGNED_URL_WAIT=40s")
	f.edge()
	e2 := f.edge()
	f.worker()
	f.worker()
	const path = "/img/held.png"
	o := startOrigin(t, nil, func(p string, n int) bool { return n == 1 })
	f.createBase()
	u := f.mustSign(imageJob(o.url+path), "held")

	waited := make(chan answer, 1)
	go func() { waited <- get(on(e2, u), 60*time.Second) }()
	o.waitFetches(t, path, 1, 20*time.Second)
	runner := f.running()
	runner.kill()
	o.releaseHeld()
	killed := time.Now()
	others := f.workers()
	if len(others) != 1 {
		t.Fatalf("live workers after the kill: %d, want 1", len(others))
	}

	var a answer
	select {
	case a = <-waited:
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting request got no answer within 15s of the kill")
	}
	t.Logf("answered %v after the kill", time.Since(killed).Round(time.Millisecond))
	if a.status != http.StatusFound {
		t.Fatalf("the waiting request: %d %v %s", a.status, a.err, a.body)
	}
	if got := others[0].mustMetric(t, "gateway_job_takeovers_total"); got != 1 {
		t.Errorf("%s took over %v jobs, want 1", others[0].name, got)
	}
	if got := o.count(path); got != 2 {
		t.Errorf("the origin was fetched %d times, want 2 (the killed run, the takeover)", got)
	}
	f.download(f.edges[0], a.location)
}

// A job whose every run kills its worker ends after
// GATEWAY_JOBS_MAX_ATTEMPTS runs with TOO_MANY_ATTEMPTS: the waiting
// request is answered 422, and every edge reports the job failed.
func TestFleetJobThatKillsEveryWorkerEnds(t *testing.T) {
	f := startFleet(t, "GATEWAY_JOBS_LEASE=2s", "GATEWAY_JOBS_MAX_ATTEMPTS=2", "GATEWAY_SIGNED_URL_WAIT=40s")
	e1, e2 := f.edge(), f.edge()
	f.worker()
	f.worker()
	const path = "/img/deadly.png"
	// Every fetch hangs: the worker running the job is killed meanwhile.
	o := startOrigin(t, nil, func(string, int) bool { return true })
	f.createBase()
	u := f.mustSign(imageJob(o.url+path), "deadly")

	waited := make(chan answer, 1)
	go func() { waited <- get(on(e1, u), 60*time.Second) }()
	for attempt := 1; attempt <= 2; attempt++ {
		o.waitFetches(t, path, attempt, 20*time.Second)
		w := f.running()
		t.Logf("attempt %d runs on %s: killed", attempt, w.name)
		w.kill()
		f.worker()
	}
	killed := time.Now()

	var a answer
	select {
	case a = <-waited:
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting request got no answer within 15s of the last kill")
	}
	t.Logf("answered %v after the last kill", time.Since(killed).Round(time.Millisecond))
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(string(a.body), `"TOO_MANY_ATTEMPTS"`) {
		t.Fatalf("the waiting request: %d %v %s; want 422 TOO_MANY_ATTEMPTS", a.status, a.err, a.body)
	}
	status, codes := f.jobStatus(e2, a.jobID)
	if status != "error" || !slices.Contains(codes, "TOO_MANY_ATTEMPTS") {
		t.Errorf("GET /v1/jobs/%s on %s: status %q, codes %v; want error with TOO_MANY_ATTEMPTS", a.jobID, e2.name, status, codes)
	}
	if got := o.count(path); got != 2 {
		t.Errorf("the origin was fetched %d times, want 2 (one per attempt)", got)
	}
	over := 0.0
	for _, w := range f.workers() {
		over += w.mustMetric(t, `gateway_job_attempts_total{attempt="over"}`)
	}
	if over != 1 {
		t.Errorf("jobs ended past their attempts: %v, want 1", over)
	}
}

// A worker without Chromium never takes an html→pdf job, though it takes
// other jobs; such a job waits on the queue until a worker with Chromium
// comes. GET /v1/formats lists Chromium's conversions only while a worker
// with Chromium is live.
func TestFleetWorkerWithoutEngineNeverTakesJob(t *testing.T) {
	requireTools(t, "chromium")
	f := startFleet(t, "GATEWAY_SIGNED_URL_WAIT=1s")
	e := f.edge()
	a := f.worker("GATEWAY_JOBS_WORKERS=2")
	b := f.worker(withChromium...)
	o := startOrigin(t, nil, nil)
	f.createBase()
	const htmlPDF = "convert html pdf chromium"
	testutil.Eventually(t, 10*time.Second, "formats list html→pdf while "+b.name+" is live", func() bool {
		return slices.Contains(f.formats(e), htmlPDF)
	})

	var links []string
	for i := range 3 {
		links = append(links, f.mustSign(htmlJob(fmt.Sprint("page ", i)), fmt.Sprint("html-", i)))
	}
	// At once: a worker that took jobs it cannot run would take some.
	var wg sync.WaitGroup
	for _, u := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := get(on(e, u), 30*time.Second)
			if r.status != http.StatusFound && r.status != http.StatusAccepted {
				t.Errorf("an html→pdf link: %d %v %s", r.status, r.err, r.body)
			}
		}()
	}
	wg.Wait()
	for _, u := range links {
		f.download(e, f.until302(e, u, 60*time.Second).location)
	}
	if got := a.mustMetric(t, "gateway_job_attempts_total"); got != 0 {
		t.Errorf("%s, without Chromium, began %v jobs", a.name, got)
	}
	if got := b.mustMetric(t, "gateway_job_attempts_total"); got != 3 {
		t.Errorf("%s, with Chromium, began %v jobs, want 3", b.name, got)
	}

	if err := b.term(t); err != nil {
		t.Fatalf("%s after SIGTERM: %v", b.name, err)
	}
	if slices.Contains(f.formats(e), htmlPDF) {
		t.Errorf("formats list html→pdf after %s, the only worker with Chromium, left", b.name)
	}
	waiting := f.mustSign(htmlJob("waiting"), "html-waiting")
	w := get(on(e, waiting), 30*time.Second)
	if w.status != http.StatusAccepted || w.jobID == "" {
		t.Fatalf("an html→pdf link with no worker for it: %d %v %s; want 202 with X-Job-Id", w.status, w.err, w.body)
	}
	queued := time.Now()
	img := f.until302(e, f.mustSign(imageJob(o.url+"/img/meanwhile.png"), "meanwhile"), 20*time.Second)
	f.download(e, img.location)
	if got := a.mustMetric(t, "gateway_job_attempts_total"); got != 1 {
		t.Errorf("%s began %v jobs, want 1 (the png→jpg one)", a.name, got)
	}
	for time.Since(queued) < 4*time.Second {
		if status, _ := f.jobStatus(e, w.jobID); status != "waiting" {
			t.Fatalf("the html→pdf job with no worker for it is %q, want waiting", status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := a.mustMetric(t, "gateway_job_attempts_total"); got != 1 {
		t.Errorf("%s began %v jobs, want 1: it took the html→pdf job", a.name, got)
	}

	c := f.worker(withChromium...)
	f.download(e, f.until302(e, waiting, 60*time.Second).location)
	if got := c.mustMetric(t, "gateway_job_attempts_total"); got != 1 {
		t.Errorf("%s, with Chromium, began %v jobs, want 1", c.name, got)
	}
	if !slices.Contains(f.formats(e), htmlPDF) {
		t.Errorf("formats lack html→pdf while %s is live", c.name)
	}
}

// Redis is killed and started again (append-only file, same port) under a
// steady load: every job an edge acknowledged finishes, no job is fetched
// twice at once (not even one whose fetch the outage cut), requests
// meanwhile are refused at once with 503, a code and Retry-After, and the
// fleet serves again within a second of Redis.
func TestFleetRedisRestartUnderLoad(t *testing.T) {
	f := startFleet(t, "GATEWAY_JOBS_LEASE=2s", "GATEWAY_SIGNED_URL_WAIT=5s")
	f.edge()
	f.edge()
	f.worker("GATEWAY_JOBS_WORKERS=3")
	f.worker("GATEWAY_JOBS_WORKERS=3")
	// Fetches of slow-* paths outlast the outage and the lease: their
	// worker must stop them before another takes their job over.
	o := startOrigin(t, func(path string) time.Duration {
		switch {
		case strings.Contains(path, "/slow-"):
			return 4 * time.Second
		case strings.Contains(path, "/fresh"):
			return 0 // the link that measures the return
		}
		return 100 * time.Millisecond
	}, nil)
	f.createBase()

	const clientTimeout = 10 * time.Second
	type sent struct {
		answer
		key   string
		begun time.Time
		took  time.Duration
	}
	var (
		mu      sync.Mutex
		results []sent
		wg      sync.WaitGroup
	)
	request := func(key string, i int) {
		defer wg.Done()
		u, err := f.sign(imageJob(fmt.Sprintf("%s/img/%s.png", o.url, key)), key)
		begun := time.Now()
		a := answer{err: err}
		if err == nil {
			a = get(on(f.edges[i%2], u), clientTimeout)
		}
		mu.Lock()
		results = append(results, sent{a, key, begun, time.Since(begun)})
		mu.Unlock()
	}
	// Open loop: a request every 50 ms, whether or not the earlier ones
	// have been answered, so that requests also begin while Redis is down.
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			wg.Add(1)
			go request(fmt.Sprint("load-", i), i)
		}
	}()

	time.Sleep(time.Second)
	slow := []string{"slow-1", "slow-2"}
	for i, key := range slow {
		wg.Add(1)
		go request(key, i)
	}
	for _, key := range slow {
		o.waitFetches(t, "/img/"+key+".png", 1, 10*time.Second)
	}
	time.Sleep(100 * time.Millisecond)
	f.Redis.Kill()
	down := time.Now()
	time.Sleep(2500 * time.Millisecond)
	restarting := time.Now()
	f.Redis.Start() // returns within 10 ms of Redis's first PONG
	up := time.Now()
	t.Logf("Redis down for %v", up.Sub(down).Round(time.Millisecond))
	fresh := f.mustSign(imageJob(o.url+"/img/fresh.png"), "fresh")
	var recovered time.Duration
	for {
		a := get(on(f.edges[0], fresh), clientTimeout)
		if a.status == http.StatusFound {
			recovered = time.Since(up)
			break
		}
		if a.status != http.StatusServiceUnavailable || time.Since(up) > 10*time.Second {
			t.Fatalf("a fresh link %v after Redis is back: %d %v %s", time.Since(up), a.status, a.err, a.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("a fresh link is answered 302 %v after Redis answers PING", recovered.Round(time.Millisecond))
	if recovered > time.Second {
		t.Errorf("a fresh link was answered 302 %v after Redis answered PING, want within 1s", recovered.Round(time.Millisecond))
	}
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	counts := map[int]int{}
	var acked []string
	var slowest503 time.Duration
	wrong := 0
	report := func(format string, args ...any) {
		if wrong++; wrong <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, r := range results {
		counts[r.status]++
		during := r.begun.After(down) && r.begun.Before(restarting)
		switch {
		case r.err != nil:
			report("%s: %v after %v", r.key, r.err, r.took)
		case during && r.status != http.StatusServiceUnavailable:
			report("%s, sent while Redis was down: %d, want 503: %s", r.key, r.status, r.body)
		case r.status == http.StatusFound, r.status == http.StatusAccepted && r.jobID != "":
			acked = append(acked, r.jobID)
		case r.status == http.StatusServiceUnavailable:
			slowest503 = max(slowest503, r.took)
			if r.code() == "" || r.retryAfter == "" {
				report("%s: 503 with code %q and Retry-After %q: %s", r.key, r.code(), r.retryAfter, r.body)
			}
		default:
			report("%s: %d after %v: %s", r.key, r.status, r.took, r.body)
		}
	}
	if wrong > 10 {
		t.Errorf("and %d more requests answered wrongly", wrong-10)
	}
	t.Logf("%d requests: %v by status, the slowest 503 in %v; %d jobs acknowledged",
		len(results), counts, slowest503.Round(time.Millisecond), len(acked))
	if counts[http.StatusServiceUnavailable] == 0 {
		t.Error("no request was refused 503 while Redis was down")
	}
	if slowest503 > 2*time.Second {
		t.Errorf("a 503 took %v; want Redis's absence answered at once", slowest503)
	}
	for deadline := time.Now().Add(30 * time.Second); len(acked) > 0; {
		status, codes := f.jobStatus(f.edges[len(acked)%2], acked[0])
		switch {
		case status == "finished":
			acked = acked[1:]
			continue
		case status == "error" || status == "":
			t.Fatalf("acknowledged job %s: status %q, codes %v; want finished", acked[0], status, codes)
		case time.Now().After(deadline):
			t.Fatalf("acknowledged job %s is still %q 30s after the load (and %d more not checked)", acked[0], status, len(acked)-1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, key := range slow {
		if n := o.count("/img/" + key + ".png"); n < 2 {
			t.Errorf("%s was fetched %d times; want its fetch cut by the outage and run again", key, n)
		}
	}
	for path, most := range o.maxInFlight() {
		if most > 1 {
			t.Errorf("%s was fetched %d times at once", path, most)
		}
	}
}
