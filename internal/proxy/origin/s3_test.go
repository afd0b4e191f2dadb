package origin

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/objects"
)

// tcpCounter forwards connections to target and counts them and the bytes
// the target sends back.
type tcpCounter struct {
	ln            net.Listener
	conns, toward atomic.Int64
	wg            sync.WaitGroup
}

func countTCP(t *testing.T, target string) *tcpCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &tcpCounter{ln: ln}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			c.wg.Add(2)
			go func() { defer c.wg.Done(); io.Copy(out, in); out.Close() }()
			go func() {
				defer c.wg.Done()
				io.Copy(countingWriter{in, &c.toward}, out)
				in.Close()
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// A range never fetches more than its bytes from S3, and the connections to
// S3 are reused.
func TestS3RangesReadOnlyTheirBytesOnReusedConnections(t *testing.T) {
	srv, _ := s3Server(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	putObject(t, srv, "big.bin", "", big)
	counter := countTCP(t, srv.Addr())
	pool := NewPool(Options{S3: objects.S3Config{
		Endpoint: "http://" + counter.ln.Addr().String(), Region: srv.Region, ForcePathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	}})
	gw := serveBucket(t, pool, "s3://media")
	before := counter.toward.Load()
	for i := range 20 {
		start := i * 40000
		res, body := do(t, "GET", gw.URL+"/big.bin", map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", start, start+1023)})
		if res.StatusCode != 206 || !bytes.Equal([]byte(body), big[start:start+1024]) {
			t.Fatalf("range %d: %d, %d bytes", i, res.StatusCode, len(body))
		}
	}
	read := counter.toward.Load() - before
	t.Logf("20 ranges of 1 KiB: %d bytes from S3 over %d connections", read, counter.conns.Load())
	if read > 20*(1024+2048) {
		t.Errorf("20 ranges of 1 KiB read %d bytes from S3: more than their bytes", read)
	}
	if n := counter.conns.Load(); n > 2 {
		t.Errorf("20 sequential ranges opened %d connections to S3; want them reused", n)
	}
}

// An S3 server that cannot be reached is 502, one that does not answer in
// time 504; neither shows the storage's address or secret.
func TestS3UnreachableAndSlow(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	for _, tc := range []struct {
		name, endpoint string
		status         int
		code           string
	}{
		{"unreachable", "http://" + closedAddr, http.StatusBadGateway, CodeUpstreamUnavailable},
		{"silent", "http://" + silent.Addr().String(), http.StatusGatewayTimeout, CodeUpstreamTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := objects.NewHTTPClient().WithTransportOptions(func(tr *http.Transport) {
				tr.ResponseHeaderTimeout = 200 * time.Millisecond
			})
			pool := NewPool(Options{S3: objects.S3Config{
				Endpoint: tc.endpoint, Region: "us-east-1", ForcePathStyle: true,
				AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret-that-must-not-show", HTTPClient: client,
			}})
			gw := serveBucket(t, pool, "s3://media/films")
			res, body := do(t, "GET", gw.URL+"/a.mp4", nil)
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.code) {
				t.Errorf("%d %s, want %d %s", res.StatusCode, body, tc.status, tc.code)
			}
			if strings.Contains(string(body), "127.0.0.1") || strings.Contains(string(body), "secret-that") {
				t.Errorf("the answer shows the storage: %s", body)
			}
		})
	}
}
