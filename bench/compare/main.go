// Command compare measures the gateway against an nginx doing the same job
// with no or cheaper authentication, side by side in one run, and prints one
// table: throughput, p50 and p99 latency, and the ratio gateway/nginx.
//
// Both servers are pinned to the same CPU set (taskset) and limited to the
// same parallelism (GOMAXPROCS for the gateway, worker_processes for nginx);
// the load generator, wrk, runs on the other CPUs. Scenarios run alternately
// against each server, in several rounds, and the best round of each counts.
//
// Usage: go run ./bench/compare [-duration 10s] [-rounds 2] [-server-cpus 0] [-wrk-cpus 1]
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	duration    time.Duration
	rounds      int
	connections int
	serverCPUs  string
	wrkCPUs     string
	workers     int
	keep        bool
	only        string
	hold        bool
	redisURL    string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each wrk run")
	flag.IntVar(&o.rounds, "rounds", 2, "alternating rounds per scenario")
	flag.IntVar(&o.connections, "connections", 32, "wrk connections")
	flag.StringVar(&o.serverCPUs, "server-cpus", "0", "CPU list both servers are pinned to")
	flag.StringVar(&o.wrkCPUs, "wrk-cpus", "1", "CPU list wrk is pinned to")
	flag.IntVar(&o.workers, "workers", 1, "server parallelism: GOMAXPROCS and nginx worker_processes")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario numbers to run (default all)")
	flag.StringVar(&o.redisURL, "redis", "", "Redis URL for the gateway's state and result cache, such as redis://127.0.0.1:6379/0 (default: the embedded store)")
	flag.BoolVar(&o.hold, "hold", false, "set up, print each scenario's targets, and wait for an interrupt instead of running wrk (for profiling)")
	flag.Parse()
	log.SetFlags(0)

	for _, tool := range []string{"nginx", "wrk", "taskset", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if tool == "nginx" {
				if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
					continue
				}
			}
			log.Fatalf("%s is missing: apt-get install -y nginx wrk util-linux", tool)
		}
	}
	raiseFileLimit()

	dir, err := os.MkdirTemp("", "gwbench-")
	if err != nil {
		log.Fatal(err)
	}
	// nginx's workers run as an unprivileged user: they must be able to
	// read the media below the work directory.
	os.Chmod(dir, 0o755)
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	env, err := setUp(dir, o)
	if err != nil {
		log.Fatal(err)
	}
	defer env.tearDown()

	want := map[string]bool{}
	for _, s := range strings.Split(o.only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	run := func(n string) bool { return len(want) == 0 || want[n] }

	if o.hold {
		hold(env)
		return
	}

	var rows []row
	for _, sc := range env.scenarios() {
		if !run(sc.id) {
			continue
		}
		rows = append(rows, compareScenario(env, sc, o))
	}
	printTable(os.Stdout, rows, o)
	if run("4") {
		mem, err := env.memory()
		if err != nil {
			log.Printf("memory scenario: %v", err)
		} else {
			fmt.Printf("\nScenario 4, gateway RSS: streaming a 1 GiB file: peak %.1f MiB; with %d idle keep-alive connections: %.1f MiB (before: %.1f MiB)\n",
				mem.streamPeakMiB, mem.idleConns, mem.idleMiB, mem.baseMiB)
		}
	}
}

// idleConns is how many idle keep-alive connections scenario 4 holds.
const idleConns = 5000

// raiseFileLimit makes room for scenario 4's connections: both ends are in
// this process and the gateway, which inherits the limit.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur >= 65536 {
		return
	}
	want := lim
	want.Cur, want.Max = 65536, max(lim.Max, 65536)
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want) == nil {
		return
	}
	// Not allowed above the hard limit: take all of it.
	want.Cur, want.Max = lim.Max, lim.Max
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want)
	if lim.Max < 2*idleConns+1024 {
		log.Printf("the open-file limit is %d: scenario 4 needs about %d", lim.Max, 2*idleConns+1024)
	}
}

func buildGateway(dir string) (string, error) {
	bin := filepath.Join(dir, "gateway")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

// hold prints the targets of every scenario and waits for an interrupt, so
// that the servers can be loaded and profiled by hand.
func hold(e *env) {
	for _, sc := range e.scenarios() {
		fmt.Printf("scenario %s: %s\n  gateway: %s\n  nginx:   %s\n", sc.id, sc.name, sc.gateway.url, sc.nginx.url)
	}
	fmt.Printf("gateway profiler: http://%s/debug/pprof/\nwaiting; interrupt to stop\n", pprofAddr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
