package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

type target struct {
	url    string
	script string // wrk Lua script, or ""
}

// A scenario is one job done by the gateway and by what it is compared
// with (versus: nginx, or the S3 server read directly).
type scenario struct {
	id, name       string
	versus         string
	gateway, other target
}

func (e *env) scenarios() []scenario {
	rangeScript := filepath.Join(e.dir, "range.lua")
	os.WriteFile(rangeScript, []byte(rangeLua+`
request = function()
  return wrk.format("GET", nil, {["Range"] = random_range()})
end
`), 0o644)
	scs := []scenario{
		{"1", "signed conversion URL, cached result -> 302", "nginx",
			target{url: e.signedURL}, target{url: e.nginxLinkURL}},
		{"2", "authenticated 1 MiB ranges of 100 MiB, same token", "nginx",
			target{url: e.gatewayURL + "/media/films/big.mp4?auth=" + e.sameToken, script: rangeScript},
			target{url: e.nginxURL + "/media/films/big.mp4", script: rangeScript}},
		{"3", "as 2, a different token per request", "nginx",
			target{url: e.gatewayURL + "/media/films/big.mp4", script: e.tokenScript},
			target{url: e.nginxURL + "/media/films/big.mp4", script: rangeScript}},
	}
	scs = append(scs, scenario{"7", "S3 endpoint: presigned GET (SigV4), 1 MiB ranges as 2", "/media, RS256, same token",
		target{url: e.presignedURL, script: rangeScript},
		target{url: e.gatewayURL + "/media/films/big.mp4?auth=" + e.sameToken, script: rangeScript}})
	if e.s3 != nil {
		scs = append(scs, scenario{"5", "as 2, from an s3:// bucket (versitygw)", "S3 direct, presigned",
			target{url: e.s3GatewayURL("big.mp4"), script: rangeScript},
			target{url: e.s3.presigned, script: rangeScript}})
	}
	return scs
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	non2xx   int
	errors   int
}

type row struct {
	sc             scenario
	gateway, other result
}

// compareScenario runs sc against both servers in alternating order, rounds
// times, and keeps each server's best round.
func compareScenario(e *env, sc scenario, o options) row {
	r := row{sc: sc}
	for round := 0; round < o.rounds; round++ {
		order := []string{sc.versus, "gateway"}
		if round%2 == 1 {
			order = []string{"gateway", sc.versus}
		}
		for _, who := range order {
			t, best := sc.other, &r.other
			if who == "gateway" {
				t, best = sc.gateway, &r.gateway
			}
			res, err := runWrk(t, o)
			if err != nil {
				fmt.Fprintf(os.Stderr, "scenario %s %s: %v\n", sc.id, who, err)
				continue
			}
			fmt.Fprintf(os.Stderr, "scenario %s round %d %-7s %9.0f req/s p50 %v p99 %v\n", sc.id, round+1, who, res.rps, res.p50, res.p99)
			if res.rps > best.rps {
				*best = res
			}
		}
	}
	return r
}

func runWrk(t target, o options) (result, error) {
	args := []string{"-c", o.wrkCPUs, "wrk", "-t", "1", "-c", strconv.Itoa(o.connections),
		"-d", fmt.Sprintf("%ds", int(o.duration.Seconds())), "--latency"}
	if t.script != "" {
		args = append(args, "-s", t.script)
	}
	args = append(args, t.url)
	out, err := exec.Command("taskset", args...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	rpsLine    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	pctLine    = regexp.MustCompile(`^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$`)
	non2xxLine = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	errLine    = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (result, error) {
	var r result
	m := rpsLine.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if p := pctLine.FindStringSubmatch(sc.Text()); p != nil {
			v, _ := strconv.ParseFloat(p[2], 64)
			unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[p[3]]
			d := time.Duration(v * float64(unit))
			if p[1] == "50" {
				r.p50 = d
			} else {
				r.p99 = d
			}
		}
	}
	if m := non2xxLine.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := errLine.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r, nil
}

func printTable(w io.Writer, rows []row, o options) {
	state := "embedded store"
	if o.redisURL != "" {
		state = "Redis " + o.redisURL
	}
	servers := "servers"
	if o.needS3() {
		servers = "servers (gateway, nginx, versitygw)"
	}
	fmt.Fprintf(w, "\n%s pinned to CPU %s with parallelism %d; wrk on CPU %s, %d connections, %v per run, best of %d alternating rounds; gateway state: %s\n\n",
		servers, o.serverCPUs, o.workers, o.wrkCPUs, o.connections, o.duration, o.rounds, state)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tagainst\tgateway req/s\tagainst req/s\tratio\tgateway p50\tgateway p99\tagainst p50\tagainst p99\tbad answers (gw/against)\t")
	for _, r := range rows {
		ratio := 0.0
		if r.other.rps > 0 {
			ratio = r.gateway.rps / r.other.rps
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%.0f\t%.0f\t%.2f\t%v\t%v\t%v\t%v\t%d/%d\t\n", r.sc.id, r.sc.name, r.sc.versus,
			r.gateway.rps, r.other.rps, ratio, r.gateway.p50, r.gateway.p99, r.other.p50, r.other.p99,
			r.gateway.non2xx+r.gateway.errors, r.other.non2xx+r.other.errors)
	}
	tw.Flush()
}
