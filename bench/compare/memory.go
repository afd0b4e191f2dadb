package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// streamResult is one full download through the gateway.
type streamResult struct {
	beforeMiB, peakMiB float64 // the gateway's RSS before and at most during it
	mibPerSec          float64
}

// rssMiB reads the resident set size of pid.
func rssMiB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// streamFile is scenario 4's stream: a 1 GiB sparse file of a file://
// bucket; the page cache, not the gateway, holds its bytes.
func (e *env) streamFile() (streamResult, error) {
	path := filepath.Join(e.mediaDir, "films", "huge.mp4")
	if err := os.Truncate(path, 0); err != nil && !os.IsNotExist(err) {
		return streamResult{}, err
	}
	f, err := os.Create(path)
	if err != nil {
		return streamResult{}, err
	}
	f.Truncate(1 << 30)
	f.Close()
	defer os.Remove(path)
	return e.stream(e.gatewayURL+"/media/films/huge.mp4?auth="+e.sameToken, 1<<30)
}

// streamS3 is scenario 6: a 1 GiB object of the s3:// bucket, which
// versitygw reads from a sparse file.
func (e *env) streamS3() (streamResult, error) {
	if e.s3 == nil {
		return streamResult{}, fmt.Errorf("versitygw is not running")
	}
	remove, err := e.placeHugeObject()
	if err != nil {
		return streamResult{}, err
	}
	defer remove()
	return e.stream(e.s3GatewayURL("huge.mp4"), hugeObjectSize)
}

// stream reads url in full, as fast as it comes, and samples the gateway's
// RSS every 20 ms meanwhile.
func (e *env) stream(url string, size int64) (streamResult, error) {
	pid := e.gatewayCmd.Process.Pid
	r := streamResult{beforeMiB: rssMiB(pid)}
	stop := make(chan struct{})
	var peak float64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if v := rssMiB(pid); v > peak {
					peak = v
				}
			}
		}
	}()
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		close(stop)
		wg.Wait()
		return r, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if n != size || resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("streamed %d bytes, want %d (status %d, %v)", n, size, resp.StatusCode, err)
	}
	r.peakMiB = max(peak, rssMiB(pid))
	r.mibPerSec = float64(n) / (1 << 20) / took.Seconds()
	return r, nil
}

// idle holds idleConns idle keep-alive connections to the gateway, each
// after one request, and reads its RSS before and with them.
func (e *env) idle() (baseMiB, idleMiB float64, n int, err error) {
	pid := e.gatewayCmd.Process.Pid
	baseMiB = rssMiB(pid)
	addr := strings.TrimPrefix(e.gatewayURL, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < idleConns; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("connection %d: %w", i, err)
		}
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			c.Close()
			return 0, 0, 0, fmt.Errorf("connection %d: %w", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		conns = append(conns, c)
	}
	time.Sleep(time.Second) // let the server settle into idle
	return baseMiB, rssMiB(pid), len(conns), nil
}
