// Command office measures the office engine: docx-to-PDF latency through the
// warm process pool against a cold `soffice --convert-to pdf` of the same
// file, and throughput with as many concurrent clients as slots.
//
//	go run ./bench/office [-n 50] [-cold 3] [-slots N] [-jobs 200]
//
// -mode engine drives the engine directly; -mode http (the default) goes
// through a whole gateway over HTTP, as a user's "Download as PDF" click
// does: signed URL, job, 302, download of the PDF.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/office"
)

// convertFunc converts the docx at path to PDF in dir.
type convertFunc func(ctx context.Context, path, dir string) error

func main() {
	n := flag.Int("n", 50, "sequential warm conversions for the latency figures")
	cold := flag.Int("cold", 3, "cold soffice runs")
	slots := flag.Int("slots", runtime.NumCPU(), "engine slots, and concurrent clients for throughput")
	jobs := flag.Int("jobs", 200, "conversions in the throughput run")
	mode := flag.String("mode", "http", "http (through a gateway) or engine (the engine alone)")
	input := flag.String("input", "docx", "docx, or html (through Chromium; http mode only)")
	flag.Parse()
	if *input != "docx" && (*input != "html" || *mode != "http") {
		log.Fatalf("input %q: want docx, or html with -mode http", *input)
	}
	if *mode != "engine" && *mode != "http" {
		log.Fatalf("mode %q: want http or engine", *mode)
	}

	work, err := os.MkdirTemp("", "office-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	ctx := context.Background()

	began := time.Now()
	e, err := office.New(office.Config{Slots: *slots, WorkDir: work})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	if err := e.Start(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("LibreOffice %s, %d slots, %d CPUs; pool start %s\n", e.Version(), *slots, runtime.NumCPU(), time.Since(began).Round(time.Millisecond))
	conv := engineConvert(e)

	docx, pages := makeDocx(ctx, e, work)
	fmt.Printf("input: %s, %d pages as PDF\n", filepath.Base(docx), pages)
	if *mode == "http" {
		// The engine made the input; the gateway brings its own pool.
		e.Close()
		g, err := startGateway(ctx, work, *slots)
		if err != nil {
			log.Fatal(err)
		}
		defer g.stop()
		conv = g.convert
		fmt.Printf("through a gateway at %s: signed URL, job, 302, download\n", g.url)
		if *input == "html" {
			docx = filepath.Join(work, "bench.html") // the page the docx was made from
			fmt.Printf("input: bench.html, to PDF through the web page engine\n")
		}
	}

	for range 3 { // warm-up, not measured
		if err := conv(ctx, docx, scratch(work)); err != nil {
			log.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, *n)
	for range *n {
		t0 := time.Now()
		if err := conv(ctx, docx, scratch(work)); err != nil {
			log.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	fmt.Printf("pool latency over %d conversions: p50 %s  p95 %s  max %s\n",
		*n, pct(lat, 50), pct(lat, 95), lat[len(lat)-1])

	var coldTimes []time.Duration
	profile := filepath.Join(work, "cold-profile")
	coldRun(docx, profile, scratch(work)) // creates the profile; not measured
	for range *cold {
		d, err := coldRun(docx, profile, scratch(work))
		if err != nil {
			log.Fatal(err)
		}
		coldTimes = append(coldTimes, d)
	}
	slices.Sort(coldTimes)
	fmt.Printf("cold soffice --convert-to pdf over %d runs: median %s  min %s  max %s\n",
		*cold, pct(coldTimes, 50), coldTimes[0], coldTimes[len(coldTimes)-1])

	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := groupCPU(work)
	t0 := time.Now()
	for range *slots {
		wg.Go(func() {
			for next.Add(1) <= int64(*jobs) {
				if err := conv(ctx, docx, scratch(work)); err != nil {
					log.Fatal(err)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(t0)
	used := groupCPU(work) - cpu0
	perConv := used / time.Duration(*jobs)
	fmt.Printf("throughput with %d clients: %d conversions in %s = %.1f conversions/s\n",
		*slots, *jobs, el.Round(time.Millisecond), float64(*jobs)/el.Seconds())
	if *input != "docx" || used == 0 {
		return // the CPU figures below count LibreOffice's processes
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("CPU per conversion (soffice + helper): %s, so %d idle CPUs could do %.0f conversions/s\n",
		perConv.Round(100*time.Microsecond), runtime.NumCPU(), float64(runtime.NumCPU())/perConv.Seconds())
	fmt.Printf("CPUs the pool got during the run: %.2f of %d (load average %s)\n",
		used.Seconds()/el.Seconds(), runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "))
}

// groupCPU sums the CPU time used so far by the processes whose command
// line mentions dir: the pool's soffice processes and helpers.
func groupCPU(dir string) time.Duration {
	entries, _ := os.ReadDir("/proc")
	var ticks int64
	for _, ent := range entries {
		pid := ent.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
		if err != nil || !strings.Contains(string(cmdline), dir) {
			continue
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		_, rest, _ := strings.Cut(string(stat), ") ")
		f := strings.Fields(rest)
		if len(f) > 12 {
			var u, s int64
			fmt.Sscan(f[11], &u)
			fmt.Sscan(f[12], &s)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}

func engineConvert(e *office.Engine) convertFunc {
	return func(ctx context.Context, path, dir string) error {
		res, err := e.Run(ctx, engine.Request{
			Operation: "convert", InputFormat: "docx", OutputFormat: "pdf",
			Inputs: []engine.File{{Path: path, Name: filepath.Base(path)}}, WorkDir: dir,
		})
		if err == nil {
			err = os.RemoveAll(dir)
		}
		_ = res
		return err
	}
}

var scratchN atomic.Int64

// scratch is a new output directory for one conversion.
func scratch(work string) string {
	d := filepath.Join(work, fmt.Sprintf("out%d", scratchN.Add(1)))
	if err := os.MkdirAll(d, 0o755); err != nil {
		log.Fatal(err)
	}
	return d
}

// makeDocx makes a docx of a few pages with the engine itself, from HTML.
func makeDocx(ctx context.Context, e *office.Engine, work string) (string, int) {
	var b strings.Builder
	b.WriteString("<h1>Benchmark document</h1>")
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "<p>Paragraph %d. The quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.</p>", i)
	}
	html := filepath.Join(work, "bench.html")
	if err := os.WriteFile(html, []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	res, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "html", OutputFormat: "docx",
		Inputs: []engine.File{{Path: html, Name: "bench.html"}}, WorkDir: work})
	if err != nil {
		log.Fatal(err)
	}
	dir := scratch(work)
	res2, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "docx", OutputFormat: "pdf",
		Inputs: []engine.File{res.Files[0]}, WorkDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	out, _ := exec.Command("pdfinfo", res2.Files[0].Path).Output()
	pages := 0
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			fmt.Sscan(strings.TrimSpace(v), &pages)
		}
	}
	return res.Files[0].Path, pages
}

// coldRun is what a converter without a pool does for every file.
func coldRun(docx, profile, outDir string) (time.Duration, error) {
	t0 := time.Now()
	cmd := exec.Command("soffice", "-env:UserInstallation=file://"+profile,
		"--headless", "--convert-to", "pdf", "--outdir", outDir, docx)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("cold soffice: %v: %s", err, out)
	}
	d := time.Since(t0)
	if _, err := os.Stat(filepath.Join(outDir, strings.TrimSuffix(filepath.Base(docx), filepath.Ext(docx))+".pdf")); err != nil {
		return 0, fmt.Errorf("cold soffice wrote no PDF: %v", err)
	}
	return d, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(i, 0)].Round(100 * time.Microsecond)
}
