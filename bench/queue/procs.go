package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

const adminToken = "queue-bench-admin-token-0123456789"

// proc is a process the benchmark started, in a process group of its own.
type proc struct {
	name string
	cmd  *exec.Cmd
	logf *os.File
	done chan struct{}
	mu   sync.Mutex
	gone bool
}

var (
	procsMu sync.Mutex
	procs   = map[*proc]struct{}{}
)

// start runs argv pinned with taskset to cpus (all CPUs when empty), its
// output to <work>/logs/<name>.log, in a new process group.
func start(work, name, cpus string, env []string, argv ...string) (*proc, error) {
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	os.MkdirAll(filepath.Join(work, "logs"), 0o755)
	logf, err := os.OpenFile(filepath.Join(work, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logf: logf, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	procsMu.Lock()
	procs[p] = struct{}{}
	procsMu.Unlock()
	return p, nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, waits up to 15 s, then SIGKILLs
// the group. Engines' children that live in groups of their own (soffice,
// Chromium) are ended by the gateway itself, or by the sweep in cleanup.
func (p *proc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		return
	}
	p.gone = true
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		log.Printf("%s did not stop within 15 s of SIGTERM: killed", p.name)
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // what is left of the group
	<-p.done
	p.logf.Close()
	procsMu.Lock()
	delete(procs, p)
	procsMu.Unlock()
}

// stopAll stops every process still running: the gateways first, then
// Redis, which they use until they end.
func stopAll() {
	procsMu.Lock()
	var list, last []*proc
	for p := range procs {
		if p.name == "redis" {
			last = append(last, p)
		} else {
			list = append(list, p)
		}
	}
	procsMu.Unlock()
	for _, group := range [][]*proc{list, last} {
		var wg sync.WaitGroup
		for _, p := range group {
			wg.Go(p.stop)
		}
		wg.Wait()
	}
}

// sweep kills the processes whose command line mentions dir (soffice and
// its helper, Chromium: their profiles are under the work directory) and
// returns how many it found. Only processes of this run can name it.
func sweep(dir string) int {
	n := 0
	for _, pid := range pidsMentioning(dir) {
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

func pidsMentioning(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	self := os.Getpid()
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitHTTP waits until url answers 200, or p exits.
func waitHTTP(p *proc, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("%s exited; see its log", p.name)
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer at %s", p.name, url)
}

// startRedis runs a redis-server of the benchmark's own on a free port,
// without persistence.
func (b *bench) startRedis() error {
	addr := freeAddr()
	_, port, _ := net.SplitHostPort(addr)
	dir := filepath.Join(b.work, "redis")
	os.MkdirAll(dir, 0o755)
	p, err := start(b.work, "redis", b.o.edgeCPUs, os.Environ(), "redis-server",
		"--bind", "127.0.0.1", "--port", port, "--dir", dir, "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--loglevel", "warning")
	if err != nil {
		return err
	}
	b.redis = p
	b.redisURL = "redis://" + addr + "/0"
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("redis-server exited; see %s", filepath.Join(b.work, "logs", "redis.log"))
		}
		if rdb.Ping(context.Background()).Err() == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("redis-server does not answer on %s", addr)
}

// gw is one gateway process: a whole single-process gateway, an edge or a
// worker.
type gw struct {
	name   string
	url    string // where it listens (a worker: /healthz, /readyz, /metrics only)
	p      *proc
	signed map[*doc]string // the signed conversion links, on a gateway that serves them
}

// baseEnv is the environment every gateway of the run shares: the parent's
// minus any GATEWAY_* variable, and the same engine settings everywhere.
func (b *bench) baseEnv(name, addr, publicURL string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEWAY_") {
			env = append(env, kv)
		}
	}
	dir := filepath.Join(b.work, name)
	for _, d := range []string{"data", "jobs", "office", "chrome"} {
		os.MkdirAll(filepath.Join(dir, d), 0o700)
	}
	if b.o.hold {
		a := freeAddr()
		b.pprof = append(b.pprof, name+": http://"+a+"/debug/pprof/")
		env = append(env, "GATEWAY_PPROF_ADDR="+a)
	}
	return append(env,
		"GATEWAY_ADDR="+addr,
		"GATEWAY_PUBLIC_URL="+publicURL,
		"GATEWAY_DATA_DIR="+filepath.Join(dir, "data"),
		"GATEWAY_ADMIN_TOKEN="+adminToken,
		"GATEWAY_LOG_LEVEL="+b.o.logLevel,
		"GATEWAY_SHUTDOWN_TIMEOUT=5s",
		// The signed link carries the docx (base64): room for many pages.
		"GATEWAY_MAX_HEADER_BYTES=4194304",
		"GATEWAY_JOBS_WORK_DIR="+filepath.Join(dir, "jobs"),
		"GATEWAY_ENGINES_OFFICE_SLOTS=1",
		"GATEWAY_ENGINES_OFFICE_WORK_DIR="+filepath.Join(dir, "office"),
		"GATEWAY_ENGINES_CHROME_TABS=1",
		"GATEWAY_ENGINES_CHROME_WORK_DIR="+filepath.Join(dir, "chrome"),
	)
}

// startSingle starts a gateway with no Redis running jobs in-process.
func (b *bench) startSingle(name, cpus string) (*gw, error) {
	addr := freeAddr()
	u := "http://" + addr
	env := append(b.baseEnv(name, addr, u), "GATEWAY_JOBS_WORKERS=1")
	p, err := start(b.work, name, cpus, env, b.bin, "serve")
	if err != nil {
		return nil, err
	}
	g := &gw{name: name, url: u, p: p}
	if err := b.ready(g); err != nil {
		return nil, err
	}
	return g, nil
}

// startEdge starts a gateway on the run's Redis that runs no job.
func (b *bench) startEdge(name, cpus string) (*gw, error) {
	addr := freeAddr()
	u := "http://" + addr
	env := append(b.baseEnv(name, addr, u), "GATEWAY_JOBS_WORKERS=0",
		"GATEWAY_REDIS_URL="+b.redisURL, "GATEWAY_JOBS_OUTPUT_URL=file://"+filepath.Join(b.work, "outputs"))
	p, err := start(b.work, name, cpus, env, b.bin, "serve")
	if err != nil {
		return nil, err
	}
	g := &gw{name: name, url: u, p: p}
	if err := b.ready(g); err != nil {
		return nil, err
	}
	return g, nil
}

// startWorker starts a `gateway worker` on the run's Redis, one job at a
// time, for the edge at publicURL.
func (b *bench) startWorker(name, cpus, publicURL string) (*gw, error) {
	addr := freeAddr()
	env := append(b.baseEnv(name, addr, publicURL), "GATEWAY_JOBS_WORKERS=1",
		"GATEWAY_REDIS_URL="+b.redisURL, "GATEWAY_JOBS_OUTPUT_URL=file://"+filepath.Join(b.work, "outputs"))
	p, err := start(b.work, name, cpus, env, b.bin, "worker")
	if err != nil {
		return nil, err
	}
	g := &gw{name: name, url: "http://" + addr, p: p}
	if err := waitHTTP(p, g.url+"/readyz"); err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

// ready waits for a serving gateway and gives it the signing base.
func (b *bench) ready(g *gw) error {
	if err := waitHTTP(g.p, g.url+"/readyz"); err != nil {
		g.stop()
		return err
	}
	body, _ := json.Marshal(map[string]string{"id": "q", "signing_secret": benchSecret})
	req, _ := http.NewRequest("POST", g.url+"/v1/signed-url-bases", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.stop()
		return fmt.Errorf("%s: create the signing base: %w", g.name, err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// 409: the base is in Redis already (an earlier edge of this run).
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusConflict {
		g.stop()
		return fmt.Errorf("%s: create the signing base: %d %s", g.name, resp.StatusCode, msg)
	}
	g.signed = map[*doc]string{}
	for _, d := range b.docs {
		g.signed[d] = signedLink(g.url, d)
	}
	return nil
}

func (g *gw) stop() {
	if g != nil && g.p != nil {
		g.p.stop()
	}
}

// metrics are the counters of one gateway the benchmark reads.
type metrics struct {
	attempts   float64 // jobs its workers began
	queueWait  float64 // seconds jobs waited on the queue (ms resolution)
	queueWaitN float64
}

func (m metrics) sub(o metrics) metrics {
	return metrics{m.attempts - o.attempts, m.queueWait - o.queueWait, m.queueWaitN - o.queueWaitN}
}

// scrape reads g's /metrics.
func (g *gw) scrape() (metrics, error) {
	var m metrics
	resp, err := http.Get(g.url + "/metrics")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name := line[:i]
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name = name[:j]
		}
		switch name {
		case "gateway_job_attempts_total":
			m.attempts += v
		case "gateway_job_queue_wait_seconds_sum":
			m.queueWait += v
		case "gateway_job_queue_wait_seconds_count":
			m.queueWaitN += v
		}
	}
	return m, sc.Err()
}
