package origin

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/tcpcork"
)

// A file response corks its connection while it is written (full TCP
// segments) and leaves it uncorked for whatever comes next, whatever the
// answer was: a body, a range, a 304, a 416, a HEAD or a 404.
func TestFileResponsesLeaveTheConnectionUncorked(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big.bin"), []byte(strings.Repeat("x", 3<<20)))
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("tiny"))
	h, err := NewPool(Options{}).Handler(bucket.Bucket{Name: "b", Origin: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *net.TCPConn, 16)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		select {
		case conns <- c.(*net.TCPConn):
		default:
		}
		return tcpcork.WithConn(ctx, c)
	}
	srv.Start()
	defer srv.Close()

	res, body := do(t, "GET", srv.URL+"/small.txt", nil)
	etag := res.Header.Get("ETag")
	if string(body) != "tiny" {
		t.Fatalf("small file: %q", body)
	}
	server := <-conns
	requests := []struct {
		method, path string
		header       map[string]string
		status, size int
	}{
		{"GET", "/big.bin", nil, 200, 3 << 20},
		{"GET", "/big.bin", map[string]string{"Range": "bytes=1000-1048575"}, 206, 1048576 - 1000},
		{"GET", "/small.txt", map[string]string{"If-None-Match": etag}, 304, 0},
		{"GET", "/small.txt", map[string]string{"Range": "bytes=10-20"}, 416, -1},
		{"HEAD", "/big.bin", nil, 200, 0},
		{"GET", "/missing", nil, 404, -1},
	}
	for _, r := range requests {
		res, body := do(t, r.method, srv.URL+r.path, r.header)
		if res.StatusCode != r.status || r.size >= 0 && len(body) != r.size {
			t.Errorf("%s %s %v: %d with %d bytes, want %d with %d", r.method, r.path, r.header, res.StatusCode, len(body), r.status, r.size)
		}
		if corked(t, server) {
			t.Errorf("%s %s %v: connection left corked", r.method, r.path, r.header)
		}
	}
	if n := len(conns); n != 0 {
		t.Fatalf("the client opened %d more connections; the checks above looked at the first only", n)
	}
}

func corked(t *testing.T, c *net.TCPConn) bool {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v != 0
}

var _ http.Handler = (*fileOrigin)(nil)
