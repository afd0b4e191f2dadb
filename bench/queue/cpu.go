package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSplit is CPU time (user + system) by part of the setup.
type cpuSplit struct {
	runner  time.Duration // the gateway processes that run jobs (Go)
	engines time.Duration // their engines' processes (soffice, its helper, Chromium)
	edge    time.Duration
	redis   time.Duration
	client  time.Duration // this process
	queue   bool
}

func (c cpuSplit) sub(o cpuSplit) cpuSplit {
	return cpuSplit{c.runner - o.runner, c.engines - o.engines, c.edge - o.edge, c.redis - o.redis, c.client - o.client, c.queue}
}

func (c cpuSplit) total() time.Duration { return c.runner + c.engines + c.edge + c.redis + c.client }

// per divides by n conversions.
func (c cpuSplit) per(n int) cpuSplit {
	d := time.Duration(n)
	return cpuSplit{c.runner / d, c.engines / d, c.edge / d, c.redis / d, c.client / d, c.queue}
}

func (c cpuSplit) String() string {
	if !c.queue {
		return fmt.Sprintf("engines %s, gateway %s, client %s", ms(c.engines), ms(c.runner), ms(c.client))
	}
	return fmt.Sprintf("engines %s, worker %s, edge %s, redis %s, client %s",
		ms(c.engines), ms(c.runner), ms(c.edge), ms(c.redis), ms(c.client))
}

// cpuNow reads the CPU time used so far by the runners (and the engines
// under their directories), the edge and Redis when queue, and this process.
func (b *bench) cpuNow(runner *gw, queue bool, more ...*gw) cpuSplit {
	c := cpuSplit{queue: queue}
	for _, g := range append([]*gw{runner}, more...) {
		if g == nil {
			continue
		}
		c.runner += procCPU(g.p.cmd.Process.Pid)
		for _, pid := range pidsMentioning(filepath.Join(b.work, g.name) + "/") {
			c.engines += procCPU(pid)
		}
	}
	if queue {
		c.edge = procCPU(b.edge.p.cmd.Process.Pid)
		c.redis = procCPU(b.redis.cmd.Process.Pid)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return c
}

// procCPU is the user and system time of pid, from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / 100 // USER_HZ is 100 on Linux
}

// machineCPU is the busy and stolen time of the machine's CPUs so far,
// from /proc/stat: what this run's processes used and what others did.
type machineCPU struct {
	busy, steal time.Duration
	perCPU      []time.Duration // busy time of cpu0, cpu1, ...
}

func readMachineCPU() machineCPU {
	var m machineCPU
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line) // cpuN user nice system idle iowait irq softirq steal ...
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		v := func(i int) time.Duration {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			return time.Duration(n) * time.Second / 100
		}
		busy := v(1) + v(2) + v(3) + v(6) + v(7)
		if f[0] == "cpu" {
			m.busy, m.steal = busy, v(8)
		} else {
			m.perCPU = append(m.perCPU, busy)
		}
	}
	return m
}

// perCPUBusy is how busy each CPU was between a and b, over el.
func perCPUBusy(a, b machineCPU, el time.Duration) string {
	var out []string
	for i := range min(len(a.perCPU), len(b.perCPU)) {
		out = append(out, fmt.Sprintf("%.2f", (b.perCPU[i]-a.perCPU[i]).Seconds()/el.Seconds()))
	}
	return strings.Join(out, "/")
}
