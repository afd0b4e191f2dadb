package origin

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server/tcpmore"
)

// A file response holds its head for the body (one segment for both) and
// leaves nothing waiting in the socket, whatever the answer was: a body, a
// range, an empty file, a 304, a 416, a HEAD or a 404.
func TestFileResponsesLeaveNothingHeld(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big.bin"), []byte(strings.Repeat("x", 3<<20)))
	writeFile(t, filepath.Join(dir, "small.txt"), []byte("tiny"))
	writeFile(t, filepath.Join(dir, "empty.txt"), nil)
	h, err := NewPool(Options{}).Handler(bucket.Bucket{Name: "b", Origin: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *tcpmore.Conn, 16)
	// What the empty file's answer left in the socket when its handler
	// returned: a held head must not wait for net/http's next write.
	heldAfterEmpty := make(chan int, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if r.URL.Path == "/empty.txt" {
			heldAfterEmpty <- unsent(t, r.Context().Value(testConnKey{}).(*tcpmore.Conn))
		}
	}))
	srv.Listener = tcpmore.Listen(srv.Listener)
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		conns <- c.(*tcpmore.Conn)
		return context.WithValue(tcpmore.WithConn(ctx, c), testConnKey{}, c)
	}
	srv.Start()
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(method, path string, header map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s %v: %v", method, path, header, err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}

	res, body := get("GET", "/small.txt", nil)
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
		{"GET", "/empty.txt", nil, 200, 0}, // a held head that no byte follows
		{"GET", "/small.txt", nil, 200, 4},
	}
	for _, r := range requests {
		res, body := get(r.method, r.path, r.header)
		if res.StatusCode != r.status || r.size >= 0 && len(body) != r.size {
			t.Errorf("%s %s %v: %d with %d bytes, want %d with %d", r.method, r.path, r.header, res.StatusCode, len(body), r.status, r.size)
		}
		if n := unsent(t, server); n != 0 {
			t.Errorf("%s %s %v: %d bytes left waiting in the socket", r.method, r.path, r.header, n)
		}
	}
	if n := <-heldAfterEmpty; n != 0 {
		t.Errorf("the empty file's head was left held: %d bytes", n)
	}
	if n := len(conns); n != 0 {
		t.Fatalf("the client opened %d more connections; the checks above looked at the first only", n)
	}
}

type testConnKey struct{}

// unsent is how many bytes c's socket holds that it has not sent yet.
func unsent(t *testing.T, c *tcpmore.Conn) int {
	t.Helper()
	n, err := c.Unsent()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
