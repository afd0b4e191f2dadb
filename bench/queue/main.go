// Command queue measures what the shared job queue costs and what it buys,
// in one run, with docx→pdf conversions clicked through signed links (the
// request, its 302, the download of the PDF):
//
//  1. overhead: the latency of one conversion at a time through a single
//     `gateway serve` that runs its jobs in-process (no Redis), against an
//     edge (`gateway serve`, GATEWAY_JOBS_WORKERS=0) and one `gateway
//     worker` on a Redis of the benchmark's own; p50, p95 and the difference;
//  2. scaling: the throughput of the edge and the queue with one worker
//     pinned to CPU 0, against two workers pinned to CPUs 0 and 1; the rates
//     and their ratio.
//
// Every engine setting is the same everywhere (one LibreOffice slot, one
// Chromium tab, one job at a time per process). Each side of each phase runs
// on freshly started processes, warmed up first; rounds alternate which side
// goes first and each side keeps its best round.
//
//	go run ./bench/queue [-only overhead|scaling] [-n 40] [-rounds 4] [-jobs 80] [-clients 4] [-pages 20] [-overhead-pages 2]
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	n, rounds, warmup int
	pause             time.Duration
	jobs, clients     int
	pages, ohPages    int
	only              string
	overheadCPUs      string
	workerCPUs        []string
	edgeCPUs          string
	logLevel          string
	keep              bool
	hold              bool
}

type bench struct {
	o        options
	work     string
	bin      string
	ohDoc    *doc   // the overhead phase's document
	scDoc    *doc   // the scaling phase's
	docs     []*doc // both, once each
	redisURL string
	redis    *proc
	edge     *gw
	client   *http.Client
	pprof    []string // -hold: each gateway's profiler
}

var (
	cleanupOnce sync.Once
	workDir     string
	keepWork    bool
)

// cleanup stops every process of the run, kills what they left behind and
// removes the work directory. It runs once, on every way out.
func cleanup() {
	cleanupOnce.Do(func() {
		stopAll()
		if workDir == "" {
			return
		}
		if n := sweep(workDir); n > 0 {
			log.Printf("killed %d leftover processes of the run", n)
		}
		if keepWork {
			log.Printf("work directory kept: %s", workDir)
			return
		}
		os.RemoveAll(workDir)
	})
}

func fatalf(format string, args ...any) {
	log.Printf(format, args...)
	cleanup()
	os.Exit(1)
}

func main() {
	var o options
	var workerCPUs string
	flag.IntVar(&o.n, "n", 40, "overhead: conversions per side and round, one at a time")
	flag.IntVar(&o.rounds, "rounds", 4, "alternating rounds per phase; each side keeps its best")
	flag.DurationVar(&o.pause, "pause", 0, "overhead: pause between two conversions (0: back to back)")
	flag.IntVar(&o.warmup, "warmup", 5, "conversions on fresh processes before each measurement, not counted")
	flag.IntVar(&o.jobs, "jobs", 80, "scaling: conversions per side and round")
	flag.IntVar(&o.clients, "clients", 4, "scaling: concurrent clients")
	flag.IntVar(&o.pages, "pages", 20, "scaling: pages of the docx")
	flag.IntVar(&o.ohPages, "overhead-pages", 2, "overhead: pages of the docx")
	flag.StringVar(&o.only, "only", "", "overhead or scaling (default both)")
	flag.StringVar(&o.overheadCPUs, "overhead-cpus", "", "overhead: CPU list (taskset) of the single gateway and of the worker; empty: all CPUs")
	flag.StringVar(&workerCPUs, "worker-cpus", "0,1", "scaling: the CPU of worker 1 and of worker 2")
	flag.StringVar(&o.edgeCPUs, "edge-cpus", "", "CPU list of the edge and Redis; empty: all CPUs")
	flag.StringVar(&o.logLevel, "log", "error", "the gateways' GATEWAY_LOG_LEVEL (logs in <work>/logs; see -keep)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (logs, outputs)")
	flag.BoolVar(&o.hold, "hold", false, "start the edge, one worker (on the first -worker-cpus) and a single gateway, with profilers, write their signed links to files, and wait for an interrupt (to load and profile by hand)")
	flag.Parse()
	log.SetFlags(0)
	if o.only != "" && o.only != "overhead" && o.only != "scaling" {
		log.Fatalf("-only %q: want overhead or scaling", o.only)
	}
	if o.n < 1 || o.rounds < 1 || o.jobs < 1 || o.clients < 1 || o.pages < 1 || o.ohPages < 1 || o.warmup < 0 {
		log.Fatal("-n, -rounds, -jobs, -clients, -pages and -overhead-pages must be at least 1, -warmup at least 0")
	}
	// A LibreOffice process is restarted after GATEWAY_ENGINES_OFFICE_MAX_JOBS
	// (200) conversions: a restart inside a measurement costs seconds.
	if o.warmup+o.n > 200 || max(o.warmup, 2*o.clients)+o.jobs > 200 {
		log.Printf("warning: more than 200 conversions on one process: its LibreOffice restarts during the measurement (GATEWAY_ENGINES_OFFICE_MAX_JOBS)")
	}
	o.workerCPUs = strings.Split(workerCPUs, ",")
	if len(o.workerCPUs) != 2 {
		log.Fatalf("-worker-cpus %q: want two CPUs, as 0,1", workerCPUs)
	}
	checkTools()

	work, err := os.MkdirTemp("", "queue-bench-")
	if err != nil {
		log.Fatal(err)
	}
	workDir, keepWork = work, o.keep
	defer cleanup()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		log.Printf("%v: stopping", s)
		cleanup()
		os.Exit(130)
	}()

	b := &bench{o: o, work: work, client: &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: 2*o.clients + 4, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if b.bin, err = buildGateway(work); err != nil {
		fatalf("build the gateway: %v", err)
	}
	b.ohDoc, b.scDoc = &doc{pages: o.ohPages}, &doc{pages: o.pages}
	switch {
	case o.pages == o.ohPages || o.only == "overhead":
		b.scDoc = b.ohDoc
	case o.only == "scaling":
		b.ohDoc = b.scDoc
	}
	b.docs = []*doc{b.ohDoc}
	if b.scDoc != b.ohDoc {
		b.docs = append(b.docs, b.scDoc)
	}
	version, err := makeDocs(work, b.docs...)
	if err != nil {
		fatalf("make the docx: %v", err)
	}
	if n := sweep(filepath.Join(work, "maker")); n > 0 {
		log.Printf("killed %d processes left by the docx maker", n)
	}
	if err := b.startRedis(); err != nil {
		fatalf("redis-server: %v", err)
	}
	if b.edge, err = b.startEdge("edge", o.edgeCPUs); err != nil {
		fatalf("edge: %v", err)
	}

	fmt.Printf("LibreOffice %s; %d CPUs; load average at start: %s\n", version, numCPU(), loadavg())
	switch o.only {
	case "overhead":
		fmt.Printf("input, imported as base64 in the signed link: %s\n", b.ohDoc)
	case "scaling":
		fmt.Printf("input, imported as base64 in the signed link: %s\n", b.scDoc)
	default:
		fmt.Printf("input, imported as base64 in the signed link: overhead: %s; scaling: %s\n", b.ohDoc, b.scDoc)
	}
	fmt.Printf("every gateway: one LibreOffice slot, one Chromium tab, one job at a time (GATEWAY_JOBS_WORKERS=1; the edge 0)\n")
	fmt.Printf("edge and redis-server on CPUs %s; the client in this process, unpinned\n\n", cpusName(o.edgeCPUs))

	if o.hold {
		b.hold()
		return
	}
	if o.only == "" || o.only == "overhead" {
		b.overhead()
	}
	if o.only == "" || o.only == "scaling" {
		b.scaling()
	}
	fmt.Printf("\nload average at the end: %s\n", loadavg())
}

func checkTools() {
	for _, t := range []struct{ name, install string }{
		{"soffice", "apt-get install -y libreoffice-writer-nogui python3-uno (LibreOffice)"},
		{"redis-server", "apt-get install -y redis-server"},
		{"taskset", "apt-get install -y util-linux"},
		{"go", "Go 1.26 (https://go.dev/dl/)"},
	} {
		if _, err := exec.LookPath(t.name); err != nil {
			log.Fatalf("%s is missing (not on PATH): %s", t.name, t.install)
		}
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import uno").Run(); err != nil {
		log.Fatalf("LibreOffice's Python module is missing (/usr/bin/python3 -c 'import uno' fails): apt-get install -y python3-uno")
	}
}

// buildGateway builds cmd/gateway of this module into dir.
func buildGateway(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", fmt.Errorf("run from inside the gateway module (go env GOMOD: %s)", gomod)
	}
	bin := filepath.Join(dir, "gateway")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

// hold sets up both paths and waits; cleanup runs on the interrupt.
func (b *bench) hold() {
	w, err := b.startWorker("worker-hold", b.o.workerCPUs[0], b.edge.url)
	if err != nil {
		fatalf("worker: %v", err)
	}
	single, err := b.startSingle("single-hold", b.o.overheadCPUs)
	if err != nil {
		fatalf("single gateway: %v", err)
	}
	for _, g := range []*gw{b.edge, single} {
		f := filepath.Join(b.work, "link-"+g.name+".txt")
		if err := os.WriteFile(f, []byte(g.signed[b.ohDoc]+"\n"), 0o644); err != nil {
			fatalf("%v", err)
		}
		fmt.Printf("%s at %s: its signed link is in %s\n", g.name, g.url, f)
	}
	fmt.Printf("worker %s: metrics at %s/metrics; redis at %s\nprofilers:\n  %s\nlogs in %s; interrupt to stop\n",
		w.name, w.url, b.redisURL, strings.Join(b.pprof, "\n  "), filepath.Join(b.work, "logs"))
	select {}
}

// ---- overhead ----

type latencyResult struct {
	side          string
	round         int
	p50, p95      time.Duration
	redirectP50   time.Duration
	queueWaitMean time.Duration // mean enqueue → take, ms resolution (queue side)
	cpu           cpuSplit      // CPU per conversion
	attempts      float64
	parts, most   map[string]time.Duration // medians and maxima of the segments
	others        float64                  // CPUs other processes kept busy meanwhile
}

func (b *bench) overhead() {
	o := b.o
	fmt.Printf("== 1. overhead of the queue: %d conversions one at a time per side and round (pause between them: %s), %d rounds, %d warm-up; single gateway and worker on CPUs %s\n",
		o.n, o.pause, o.rounds, o.warmup, cpusName(o.overheadCPUs))
	sides := []string{"in-process", "queue"}
	best := map[string]latencyResult{}
	for r := range o.rounds {
		order := sides
		if r%2 == 1 {
			order = []string{sides[1], sides[0]}
		}
		for _, side := range order {
			res := b.overheadRound(side, r+1)
			fmt.Fprintf(os.Stderr, "  round %d %-10s p50 %-9s p95 %-9s 302 p50 %-9s outside LibreOffice p50 %-9s other processes kept %.2f CPUs busy (load %s)\n",
				r+1, side, ms(res.p50), ms(res.p95), ms(res.redirectP50), ms(res.parts["outside"]), res.others, loadavg())
			if cur, ok := best[side]; !ok || res.p50 < cur.p50 {
				best[side] = res
			}
		}
	}
	in, q := best["in-process"], best["queue"]
	fmt.Printf("\n| path | p50 | p95 | p50 to the 302 | convert task (median) | p50 outside it | best of round |\n|---|---|---|---|---|---|---|\n")
	for _, r := range []latencyResult{in, q} {
		name := "in-process: `gateway serve`, no Redis"
		if r.side == "queue" {
			name = "queue: edge + `gateway worker` + Redis"
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %d |\n", name, ms(r.p50), ms(r.p95), ms(r.redirectP50),
			ms(r.parts["convert"]), ms(r.parts["outside"]), r.round)
	}
	d := q.p50 - in.p50
	verdict := "met"
	if d > 10*time.Millisecond {
		verdict = "NOT met"
	}
	fmt.Printf("\noverhead of the queue (p50 difference): %s (p95: %s); target ≤ 10 ms: %s\n", ms(d), ms(q.p95-in.p95), verdict)
	fmt.Printf("the same, outside the convert task (p50 of each conversion's time minus its LibreOffice time): %s\n",
		ms(q.parts["outside"]-in.parts["outside"]))
	if q.queueWaitMean > 0 || q.attempts > 0 {
		fmt.Printf("queue side, best round: mean wait on the queue (enqueue → taken, ms resolution) %s\n", ms(q.queueWaitMean))
	}
	fmt.Printf("CPU per conversion, best rounds: in-process %s; queue %s\n", in.cpu, q.cpu)
	fmt.Printf("\nWhere the time goes (medians over each side's best round, from the client's clock and the job's timestamps):\n\n")
	fmt.Printf("| segment | in-process | queue | difference | in-process max | queue max |\n|---|---|---|---|---|---|\n")
	for _, sg := range segments {
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", sg.name, ms(in.parts[sg.key]), ms(q.parts[sg.key]),
			ms(q.parts[sg.key]-in.parts[sg.key]), ms(in.most[sg.key]), ms(q.most[sg.key]))
	}
	fmt.Println()
}

// overheadRound starts one side on fresh processes, warms it, and times
// o.n conversions one at a time.
func (b *bench) overheadRound(side string, round int) latencyResult {
	o := b.o
	var target, runner *gw
	var err error
	name := fmt.Sprintf("single-%d", round)
	if side == "queue" {
		name = fmt.Sprintf("worker-o%d", round)
		runner, err = b.startWorker(name, o.overheadCPUs, b.edge.url)
		target = b.edge
	} else {
		runner, err = b.startSingle(name, o.overheadCPUs)
		target = runner
	}
	if err != nil {
		fatalf("%s, round %d: %v", side, round, err)
	}
	defer runner.stop()
	for range o.warmup {
		if _, err := b.convert(target, b.ohDoc); err != nil {
			fatalf("%s warm-up: %v", side, err)
		}
	}
	m0, err := runner.scrape()
	if err != nil {
		fatalf("%s metrics: %v", runner.name, err)
	}
	c0, mc0, t0 := b.cpuNow(runner, side == "queue"), readMachineCPU(), time.Now()
	samples := make([]sample, 0, o.n)
	for range o.n {
		time.Sleep(o.pause)
		s, err := b.convert(target, b.ohDoc)
		if err != nil {
			fatalf("%s: %v", side, err)
		}
		samples = append(samples, s)
	}
	c1, mc1, el := b.cpuNow(runner, side == "queue"), readMachineCPU(), time.Since(t0)
	m1, _ := runner.scrape()
	m := m1.sub(m0)
	if int(m.attempts) != o.n {
		fatalf("%s: %d requests ran %v jobs: every request must run one", side, o.n, m.attempts)
	}
	tot, red := split(samples)
	res := latencyResult{side: side, round: round, p50: pct(tot, 50), p95: pct(tot, 95), redirectP50: pct(red, 50),
		attempts: m.attempts, cpu: c1.sub(c0).per(o.n),
		others: ((mc1.busy - mc0.busy) - c1.sub(c0).total()).Seconds() / el.Seconds()}
	if m.queueWaitN > 0 && side == "queue" {
		res.queueWaitMean = time.Duration(m.queueWait / m.queueWaitN * float64(time.Second))
	}
	if res.parts, res.most, err = b.breakdown(target, samples); err != nil {
		fatalf("%s: read the jobs' timestamps: %v", side, err)
	}
	return res
}

// ---- scaling ----

type rateResult struct {
	workers  int
	round    int
	rate     float64
	elapsed  time.Duration
	p50, p95 time.Duration
	perW     []float64 // jobs each worker ran
	cpu      cpuSplit
	// CPUs busy on average during the run: the run's processes, the whole
	// machine, and the time the hypervisor took (steal).
	ours, machine, steal float64
	perCPU               string // each CPU's busy share
}

func (b *bench) scaling() {
	o := b.o
	fmt.Printf("== 2. scaling: %d conversions per side and round, %d concurrent clients, %d rounds; worker 1 on CPU %s, worker 2 on CPU %s\n",
		o.jobs, o.clients, o.rounds, o.workerCPUs[0], o.workerCPUs[1])
	best := map[int]rateResult{}
	for r := range o.rounds {
		order := []int{1, 2}
		if r%2 == 1 {
			order = []int{2, 1}
		}
		for _, w := range order {
			res := b.scalingRound(w, r+1)
			fmt.Fprintf(os.Stderr, "  round %d %d worker(s): %.1f conversions/s (%d in %s), p50 %s, jobs per worker %v; CPUs busy: this run %.2f, machine %.2f (per CPU %s), steal %.2f (load %s)\n",
				r+1, w, res.rate, o.jobs, res.elapsed.Round(time.Millisecond), ms(res.p50), res.perW, res.ours, res.machine, res.perCPU, res.steal, loadavg())
			if cur, ok := best[w]; !ok || res.rate > cur.rate {
				best[w] = res
			}
		}
	}
	one, two := best[1], best[2]
	fmt.Printf("\n| workers | conversions/s | p50 | p95 | jobs per worker | CPU per conversion | CPUs busy: this run / machine | best of round |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range []rateResult{one, two} {
		cpus := "CPU " + o.workerCPUs[0]
		if r.workers == 2 {
			cpus = "CPUs " + o.workerCPUs[0] + " and " + o.workerCPUs[1]
		}
		fmt.Printf("| %d (%s) | %.1f | %s | %s | %s | %s | %.2f / %.2f | %d |\n", r.workers, cpus, r.rate, ms(r.p50), ms(r.p95),
			joinFloats(r.perW), r.cpu, r.ours, r.machine, r.round)
	}
	ratio := two.rate / one.rate
	verdict := "met"
	if ratio < 1.8 {
		verdict = "NOT met"
	}
	fmt.Printf("\nscaling, two workers against one: %.2f× (target ≥ 1.8×: %s)\n", ratio, verdict)
}

func (b *bench) scalingRound(workers, round int) rateResult {
	o := b.o
	ws := make([]*gw, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			ws[i], errs[i] = b.startWorker(fmt.Sprintf("worker-s%d-%d-%d", round, workers, i+1), o.workerCPUs[i], b.edge.url)
		})
	}
	wg.Wait()
	defer func() {
		for _, w := range ws {
			w.stop()
		}
	}()
	for _, err := range errs {
		if err != nil {
			fatalf("scaling, %d workers: %v", workers, err)
		}
	}
	// Warm every worker: concurrent conversions, so that each takes some.
	b.load(max(o.warmup, 2*o.clients), o.clients)
	m0 := make([]metrics, workers)
	for i, w := range ws {
		m0[i], _ = w.scrape()
	}
	c0, mc0 := b.cpuNow(nil, true, ws...), readMachineCPU()
	t0 := time.Now()
	samples := b.load(o.jobs, o.clients)
	el := time.Since(t0)
	c1, mc1 := b.cpuNow(nil, true, ws...), readMachineCPU()
	used := c1.sub(c0)
	res := rateResult{workers: workers, round: round, rate: float64(o.jobs) / el.Seconds(), elapsed: el,
		cpu: used.per(o.jobs), ours: used.total().Seconds() / el.Seconds(),
		machine: (mc1.busy - mc0.busy).Seconds() / el.Seconds(), steal: (mc1.steal - mc0.steal).Seconds() / el.Seconds(),
		perCPU: perCPUBusy(mc0, mc1, el)}
	total := 0.0
	for i, w := range ws {
		m1, err := w.scrape()
		if err != nil {
			fatalf("%s metrics: %v", w.name, err)
		}
		n := m1.sub(m0[i]).attempts
		res.perW = append(res.perW, n)
		total += n
	}
	if int(total) != o.jobs {
		fatalf("scaling: %d requests ran %v jobs: every request must run one", o.jobs, total)
	}
	tot, _ := split(samples)
	res.p50, res.p95 = pct(tot, 50), pct(tot, 95)
	return res
}

// load runs n conversions through the edge from c concurrent clients.
func (b *bench) load(n, c int) []sample {
	var next atomic.Int64
	var mu sync.Mutex
	out := make([]sample, 0, n)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				s, err := b.convert(b.edge, b.scDoc)
				if err != nil {
					fatalf("scaling: %v", err)
				}
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// ---- figures ----

func split(s []sample) (total, redirect []time.Duration) {
	for _, x := range s {
		total = append(total, x.total)
		redirect = append(redirect, x.redirect)
	}
	slices.Sort(total)
	slices.Sort(redirect)
	return total, redirect
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) string {
	prec := 1
	if d > -10*time.Millisecond && d < 10*time.Millisecond {
		prec = 2
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', prec, 64) + " ms"
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, " + ")
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpusName(s string) string {
	if s == "" {
		return "all (unpinned)"
	}
	return s
}

func numCPU() int {
	n := 0
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "processor") {
			n++
		}
	}
	return n
}
