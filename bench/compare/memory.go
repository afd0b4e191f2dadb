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

type memoryResult struct {
	streamPeakMiB, baseMiB, idleMiB float64
	idleConns                       int
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

func (e *env) memory() (memoryResult, error) {
	var r memoryResult
	pid := e.gatewayCmd.Process.Pid
	// A 1 GiB sparse file: the page cache, not the gateway, holds its bytes.
	path := filepath.Join(e.mediaDir, "films", "huge.mp4")
	if err := os.Truncate(path, 0); err != nil && !os.IsNotExist(err) {
		return r, err
	}
	f, err := os.Create(path)
	if err != nil {
		return r, err
	}
	f.Truncate(1 << 30)
	f.Close()
	defer os.Remove(path)

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
	resp, err := http.Get(e.gatewayURL + "/media/films/huge.mp4?auth=" + e.sameToken)
	if err != nil {
		close(stop)
		return r, err
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	close(stop)
	wg.Wait()
	if n != 1<<30 {
		return r, fmt.Errorf("streamed %d bytes, want 1 GiB (status %d)", n, resp.StatusCode)
	}
	r.streamPeakMiB = peak

	// idleConns idle keep-alive connections, each after one request.
	r.baseMiB = rssMiB(pid)
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
			return r, fmt.Errorf("connection %d: %w", i, err)
		}
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return r, fmt.Errorf("connection %d: %w", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		conns = append(conns, c)
	}
	r.idleConns = len(conns)
	time.Sleep(time.Second) // let the server settle into idle
	r.idleMiB = rssMiB(pid)
	return r, nil
}
