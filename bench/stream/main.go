// Command stream measures the gateway's memory while it streams a large
// object: it builds and starts the gateway binary, puts a 1 GiB sparse file
// in a public file:// bucket, downloads it with curl (once in full, and by
// several concurrent Range readers at the same time), samples the
// gateway's resident memory from /proc/<pid>/status, and prints the peak.
// With -strace it also attaches strace and counts the sendfile calls that
// carried the bytes.
//
//	go run ./bench/stream            # from the module root
//	go run ./bench/stream -size 4GiB -readers 8 -strace
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(1)
	}
}

const adminToken = "stream-bench-admin-token-0123456789"

func run() error {
	size := flag.String("size", "1GiB", "object size (bytes, or with KiB, MiB, GiB)")
	readers := flag.Int("readers", 4, "concurrent Range readers besides the full download")
	binary := flag.String("gateway", "", "gateway binary (default: go build ./cmd/gateway)")
	useStrace := flag.Bool("strace", false, "attach strace and count sendfile calls")
	originKind := flag.String("origin", "file", "bucket origin: file (the sparse file's directory) or http (this program serving it over loopback)")
	flag.Parse()
	objectSize, err := parseSize(*size)
	if err != nil {
		return err
	}
	for _, tool := range []string{"curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is needed: apt-get install -y %s", tool, tool)
		}
	}

	work, err := os.MkdirTemp("", "stream-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := *binary
	if bin == "" {
		bin = filepath.Join(work, "gateway")
		build := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/gateway (run from the module root): %w", err)
		}
	}

	media := filepath.Join(work, "media")
	if err := os.MkdirAll(media, 0o755); err != nil {
		return err
	}
	// Sparse: no disk needed, and the kernel serves the holes as zeros
	// through the same sendfile path as real blocks.
	f, err := os.Create(filepath.Join(media, "big.mp4"))
	if err != nil {
		return err
	}
	if err := f.Truncate(objectSize); err != nil {
		return err
	}
	f.Close()

	addr, err := freeAddr()
	if err != nil {
		return err
	}
	base := "http://" + addr
	gw := exec.Command(bin, "serve")
	gw.Env = append(os.Environ(),
		"GATEWAY_ADDR="+addr,
		"GATEWAY_DATA_DIR="+filepath.Join(work, "data"),
		"GATEWAY_ADMIN_TOKEN="+adminToken,
		"GATEWAY_LOG_LEVEL=warn",
	)
	gw.Stderr = os.Stderr
	if err := gw.Start(); err != nil {
		return err
	}
	defer func() { gw.Process.Kill(); gw.Wait() }()
	pid := gw.Process.Pid
	if err := waitHealthy(base); err != nil {
		return err
	}
	origin := "file://" + media
	switch *originKind {
	case "file":
	case "http":
		up, err := serveUpstream(media)
		if err != nil {
			return err
		}
		defer up.Close()
		origin = "http://" + up.Addr
	default:
		return fmt.Errorf("-origin %q: want file or http", *originKind)
	}
	if err := admin(base, "PUT", "/v1/buckets/bench", `{"origin":"`+origin+`","policy":"public"}`); err != nil {
		return err
	}
	idle, _ := memory(pid)

	var st *strace
	if *useStrace {
		if st, err = startStrace(pid, filepath.Join(work, "strace.out")); err != nil {
			return err
		}
	}

	ctx, stopSampling := context.WithCancel(context.Background())
	peak := make(chan int64)
	go func() { peak <- sample(ctx, pid) }()

	url := base + "/media/bench/big.mp4"
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *readers+1)
	download := func(args ...string) {
		defer wg.Done()
		out, err := exec.Command("curl", append([]string{"-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download}"}, args...)...).Output()
		if err != nil {
			errs <- fmt.Errorf("curl %v: %w", args, err)
			return
		}
		errs <- checkSize(string(out), args)
	}
	wg.Add(1)
	go download(url)
	chunk := objectSize / int64(max(*readers, 1))
	for i := range *readers {
		wg.Add(1)
		from := int64(i) * chunk
		go download("-r", fmt.Sprintf("%d-%d", from, from+chunk-1), url)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	stopSampling()
	peakRSS := <-peak
	for err := range errs {
		if err != nil {
			return err
		}
	}
	_, hwm := memory(pid)

	total := objectSize + chunk*int64(*readers)
	fmt.Printf("object            %s (sparse file, %s:// bucket)\n", human(objectSize), *originKind)
	fmt.Printf("downloads         1 full + %d concurrent Range readers of %s each, %s in all\n", *readers, human(chunk), human(total))
	fmt.Printf("time              %s (%.0f MiB/s)\n", elapsed.Round(time.Millisecond), float64(total)/(1<<20)/elapsed.Seconds())
	fmt.Printf("RSS idle          %s\n", human(idle))
	fmt.Printf("RSS peak sampled  %s (VmRSS every 20 ms)\n", human(peakRSS))
	fmt.Printf("VmHWM             %s (the kernel's high-water mark of the whole run)\n", human(hwm))
	if st != nil {
		calls, bytes, err := st.stop()
		if err != nil {
			return err
		}
		fmt.Printf("sendfile          %d calls carried %s (%.1f%% of the bytes served)\n", calls, human(bytes), 100*float64(bytes)/float64(total))
	}
	return nil
}

// serveUpstream serves dir over loopback with ServeContent, standing for
// an HTTP origin. It runs in this process, so its memory is not counted.
func serveUpstream(dir string) (*http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(dir, filepath.Base(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.ServeContent(w, r, st.Name(), st.ModTime(), f)
	})}
	go srv.Serve(ln)
	return srv, nil
}

func checkSize(out string, args []string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil || n == 0 {
		return fmt.Errorf("curl %v downloaded %q bytes", args, out)
	}
	return nil
}

// memory reads VmRSS and VmHWM of pid, in bytes.
func memory(pid int) (rss, hwm int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[0], 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

func sample(ctx context.Context, pid int) int64 {
	var peak int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if rss, _ := memory(pid); rss > peak {
			peak = rss
		}
		select {
		case <-ctx.Done():
			return peak
		case <-tick.C:
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond) // polling a process we do not control
	}
	return errors.New("the gateway did not become healthy within 30s")
}

func admin(base, method, path, body string) error {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, path, res.Status)
	}
	return nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, KiB, MiB or GiB", s)
	}
	return n * mult, nil
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
}
