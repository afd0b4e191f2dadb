// Command compare measures the gateway against what does the same job more
// cheaply, side by side in one run, and prints one table: throughput, p50
// and p99 latency, and the ratio gateway/other. Scenarios 1-3 compare it with
// an nginx doing the same job with no or cheaper authentication; scenario 5
// puts it in front of an S3-compatible server (versitygw) and compares it
// with the same reads sent to that server directly with a presigned URL.
// Scenarios 4 and 6 measure the gateway's memory.
//
// The servers (the gateway, nginx, versitygw) are pinned to the same CPU set
// (taskset) and limited to the same parallelism (GOMAXPROCS for the gateway
// and versitygw, worker_processes for nginx); the load generator, wrk, runs
// on the other CPUs. Scenarios run alternately against each side, in several
// rounds, and the best round of each counts.
//
// Usage: go run ./bench/compare [-duration 10s] [-rounds 2] [-server-cpus 0] [-wrk-cpus 1] [-only 1,5]
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
	s3CPUs      string
	workers     int
	keep        bool
	only        string
	hold        bool
	redisURL    string
	want        map[string]bool // -only's scenarios; empty: all
}

// run reports whether scenario id is to run.
func (o options) run(id string) bool { return len(o.want) == 0 || o.want[id] }

// needS3 reports whether a scenario that needs versitygw is to run.
func (o options) needS3() bool { return o.run("5") || o.run("6") }

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each wrk run")
	flag.IntVar(&o.rounds, "rounds", 2, "alternating rounds per scenario")
	flag.IntVar(&o.connections, "connections", 32, "wrk connections")
	flag.StringVar(&o.serverCPUs, "server-cpus", "0", "CPU list both servers are pinned to")
	flag.StringVar(&o.wrkCPUs, "wrk-cpus", "1", "CPU list wrk is pinned to")
	flag.StringVar(&o.s3CPUs, "s3-cpus", "", "CPU list the S3 server (versitygw) is pinned to (default: -server-cpus)")
	flag.IntVar(&o.workers, "workers", 1, "server parallelism: GOMAXPROCS and nginx worker_processes")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario numbers to run (default all)")
	flag.StringVar(&o.redisURL, "redis", "", "Redis URL for the gateway's state and result cache, such as redis://127.0.0.1:6379/0 (default: the embedded store)")
	flag.BoolVar(&o.hold, "hold", false, "set up, print each scenario's targets, and wait for an interrupt instead of running wrk (for profiling)")
	flag.Parse()
	log.SetFlags(0)
	if o.s3CPUs == "" {
		o.s3CPUs = o.serverCPUs
	}

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
	o.want = map[string]bool{}
	for _, s := range strings.Split(o.only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.want[s] = true
		}
	}
	if o.needS3() {
		if _, err := findVersitygw(); err != nil {
			log.Fatalf("scenarios 5 and 6 need versitygw, an S3-compatible server: %v", err)
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

	if o.hold {
		hold(env)
		return
	}

	var rows []row
	for _, sc := range env.scenarios() {
		if !o.run(sc.id) {
			continue
		}
		rows = append(rows, compareScenario(env, sc, o))
	}
	if len(rows) > 0 {
		printTable(os.Stdout, rows, o)
	}
	// Scenario 6 streams between scenario 4's stream and its idle
	// connections, which leave the gateway's RSS higher than they found it.
	var file, fromS3 streamResult
	var fileErr, s3Err error
	if o.run("4") {
		file, fileErr = env.streamFile()
	}
	if o.run("6") {
		fromS3, s3Err = env.streamS3()
	}
	if o.run("4") {
		base, idle, n, err := env.idle()
		switch {
		case fileErr != nil:
			log.Printf("scenario 4: %v", fileErr)
		case err != nil:
			log.Printf("scenario 4: %v", err)
		default:
			fmt.Printf("\nScenario 4, gateway RSS: streaming a 1 GiB file: peak %.1f MiB; with %d idle keep-alive connections: %.1f MiB (before: %.1f MiB)\n",
				file.peakMiB, n, idle, base)
		}
	}
	if o.run("6") {
		if s3Err != nil {
			log.Printf("scenario 6: %v", s3Err)
		} else {
			fmt.Printf("\nScenario 6, gateway RSS: streaming a 1 GiB object from the s3:// bucket: peak %.1f MiB (before: %.1f MiB), at %.0f MiB/s\n",
				fromS3.peakMiB, fromS3.beforeMiB, fromS3.mibPerSec)
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
		fmt.Printf("scenario %s: %s\n  gateway: %s\n  %s: %s\n", sc.id, sc.name, sc.gateway.url, sc.versus, sc.other.url)
	}
	if e.s3 != nil {
		if remove, err := e.placeHugeObject(); err != nil {
			log.Printf("scenario 6: %v", err)
		} else {
			defer remove()
			fmt.Printf("scenario 6: a 1 GiB object from the s3:// bucket, read in full\n  gateway: %s\n", e.s3GatewayURL("huge.mp4"))
		}
		fmt.Printf("versitygw: %s, access key %s, secret key %s; profiler: http://%s/debug/pprof/\n",
			e.s3.endpoint, e.s3.accessKey, e.s3.secretKey, versitygwPprofAddr)
	}
	fmt.Printf("gateway profiler: http://%s/debug/pprof/\nwaiting; interrupt to stop\n", pprofAddr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
