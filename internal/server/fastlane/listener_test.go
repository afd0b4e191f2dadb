package fastlane

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// lane serves a test http.Server behind the lane. The lane answers GET
// /fast with a 302 to /there; net/http answers everything with 200 and
// "slow <method> <path> <body>".
type lane struct {
	l        *Listener
	srv      *http.Server
	addr     string
	answered atomic.Int64
}

func startLane(t *testing.T, opts Options) *lane {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lt := &lane{addr: ln.Addr().String()}
	lt.l = Listen(ln, HandlerFunc(func(req *Request, resp *Response) bool {
		if req.Path != "/fast" {
			return false
		}
		lt.answered.Add(1)
		resp.Status = http.StatusFound
		resp.Set("Location", "/there")
		if req.RequestID != "" {
			resp.Set("X-Request-Id", req.RequestID)
		}
		return true
	}), opts)
	lt.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "slow %s %s %s", r.Method, r.URL.Path, body)
	}), IdleTimeout: opts.IdleTimeout, ReadHeaderTimeout: opts.ReadHeaderTimeout}
	served := make(chan error, 1)
	go func() { served <- lt.srv.Serve(lt.l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		lt.srv.Shutdown(ctx)
		if err := lt.l.Wait(ctx); err != nil {
			t.Errorf("lane connections still open after shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return lt
}

// rawConn is a client connection that writes raw bytes and reads responses.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func (lt *lane) dial(t *testing.T) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", lt.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) read(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp, string(body)
}

func get(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: lane.test\r\n\r\n" }

func TestLaneAnswersThenHandsTheConnectionOver(t *testing.T) {
	lt := startLane(t, Options{})
	rc := lt.dial(t)

	rc.send(get("/fast"))
	resp, body := rc.read("GET")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/there" || body != "" {
		t.Fatalf("lane answer: %d %q %q", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp.Header.Get("Date") == "" || resp.ContentLength != 0 || resp.Close {
		t.Errorf("lane answer headers: %v, length %d, close %v", resp.Header, resp.ContentLength, resp.Close)
	}
	rc.send(get("/fast"))
	if resp, _ := rc.read("GET"); resp.StatusCode != http.StatusFound {
		t.Fatalf("second lane answer: %d", resp.StatusCode)
	}

	// A request the lane does not answer moves the connection to net/http,
	// for good.
	rc.send(get("/slow"))
	if _, body := rc.read("GET"); body != "slow GET /slow " {
		t.Fatalf("handed-over answer: %q", body)
	}
	rc.send(get("/fast"))
	if _, body := rc.read("GET"); body != "slow GET /fast " {
		t.Fatalf("after the handover: %q", body)
	}
	if n := lt.answered.Load(); n != 2 {
		t.Errorf("lane answered %d requests, want 2", n)
	}
}

func TestLanePipelinedAndSplitRequests(t *testing.T) {
	lt := startLane(t, Options{ReadHeaderTimeout: 10 * time.Second})
	rc := lt.dial(t)
	// Three requests in one write: two for the lane, then a POST whose
	// body net/http must read from the bytes the lane read ahead.
	rc.send(get("/fast") + get("/fast") + "POST /fast HTTP/1.1\r\nHost: lane.test\r\nContent-Length: 5\r\n\r\nhello")
	for i := range 2 {
		if resp, _ := rc.read("GET"); resp.StatusCode != http.StatusFound {
			t.Fatalf("pipelined request %d: %d", i, resp.StatusCode)
		}
	}
	if _, body := rc.read("POST"); body != "slow POST /fast hello" {
		t.Fatalf("POST after the pipelined ones: %q", body)
	}

	// A head that arrives in pieces.
	rc2 := lt.dial(t)
	req := get("/fast")
	for _, part := range []string{req[:5], req[5:20], req[20:]} {
		rc2.send(part)
		time.Sleep(20 * time.Millisecond)
	}
	if resp, _ := rc2.read("GET"); resp.StatusCode != http.StatusFound {
		t.Fatalf("split request: %d", resp.StatusCode)
	}
}

func TestLaneLeavesOddRequestsToNetHTTP(t *testing.T) {
	lt := startLane(t, Options{})
	for name, req := range map[string]string{
		"http/1.0":       "GET /fast HTTP/1.0\r\nHost: lane.test\r\n\r\n",
		"escaped path":   "GET /f%61st HTTP/1.1\r\nHost: lane.test\r\n\r\n",
		"head too large": "GET /fast HTTP/1.1\r\nHost: lane.test\r\nX-Big: " + strings.Repeat("a", 2*readerSize) + "\r\n\r\n",
		"chunked body":   "GET /fast HTTP/1.1\r\nHost: lane.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			rc := lt.dial(t)
			rc.send(req)
			resp, body := rc.read("GET")
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "slow GET /fast") {
				t.Fatalf("got %d %q, want net/http's answer", resp.StatusCode, body)
			}
		})
	}
	if n := lt.answered.Load(); n != 0 {
		t.Errorf("lane answered %d of them", n)
	}
}

func TestLaneHeadAndConnectionClose(t *testing.T) {
	lt := startLane(t, Options{})
	rc := lt.dial(t)
	rc.send("HEAD /fast HTTP/1.1\r\nHost: lane.test\r\nX-Request-Id: r-1\r\n\r\n")
	resp, _ := rc.read("HEAD")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("X-Request-Id") != "r-1" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	rc.send("GET /fast HTTP/1.1\r\nHost: lane.test\r\nConnection: close\r\n\r\n")
	resp, _ = rc.read("GET")
	if !resp.Close {
		t.Error("answer to Connection: close does not say close")
	}
	if n, err := rc.br.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("connection still open after Connection: close: %d, %v", n, err)
	}
}

func TestLaneClosesIdleAndSlowConnections(t *testing.T) {
	lt := startLane(t, Options{IdleTimeout: 300 * time.Millisecond, ReadHeaderTimeout: 300 * time.Millisecond})
	idle := lt.dial(t)
	idle.send(get("/fast"))
	idle.read("GET")
	slow := lt.dial(t)
	slow.send("GET /fast HTTP/1.1\r\nHo")
	for name, rc := range map[string]*rawConn{"idle": idle, "slow head": slow} {
		start := time.Now()
		if _, err := rc.br.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("%s connection: read %v, want EOF", name, err)
		}
		if waited := time.Since(start); waited > 20*time.Second {
			t.Errorf("%s connection closed after %v", name, waited)
		}
	}
}

func TestLaneCloseEndsItsConnectionsOnly(t *testing.T) {
	lt := startLane(t, Options{})
	onLane := lt.dial(t)
	onLane.send(get("/fast"))
	onLane.read("GET")
	handed := lt.dial(t)
	handed.send(get("/slow"))
	handed.read("GET")

	if err := lt.l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := onLane.br.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("lane connection after Close: %v, want EOF", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := lt.l.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	// net/http still serves what it was handed, until its own shutdown.
	handed.send(get("/fast"))
	if _, body := handed.read("GET"); body != "slow GET /fast " {
		t.Errorf("handed connection after the lane closed: %q", body)
	}
	if _, err := net.DialTimeout("tcp", lt.addr, time.Second); err == nil {
		t.Error("the lane still accepts after Close")
	}
}

// TestHandedConnectionsKeepSendfile: a file served on a handed connection
// goes through the TCP connection's ReadFrom (sendfile), not a copy loop.
func TestHandedConnectionsKeepSendfile(t *testing.T) {
	var hc net.Conn = &handedConn{}
	if _, ok := hc.(io.ReaderFrom); !ok {
		t.Fatal("handedConn is not an io.ReaderFrom")
	}
	dir := t.TempDir()
	data := strings.Repeat("0123456789", 100000)
	os.WriteFile(filepath.Join(dir, "f.bin"), []byte(data), 0o644)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	l := Listen(ln, HandlerFunc(func(*Request, *Response) bool { return false }), Options{})
	var sawTCP atomic.Bool
	srv := &http.Server{
		Handler: http.FileServer(http.Dir(dir)),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if h, ok := c.(*handedConn); ok {
				_, tcp := h.Conn.(*net.TCPConn)
				sawTCP.Store(tcp)
			}
			return ctx
		},
	}
	go srv.Serve(l)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/f.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != data {
		t.Fatalf("served %d bytes, want %d", len(got), len(data))
	}
	if !sawTCP.Load() {
		t.Error("net/http was not handed the lane's TCP connection")
	}
}
