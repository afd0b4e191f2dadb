package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// serveRaw runs Handler behind Serve, as the gateway does, and returns its
// address. Its routes: GET /hello, and POST /echo, which answers the body.
func serveRaw(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	h := Handler(Routes{Mux: mux, Gatherer: reg}, log, NewMetrics(reg), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, New(Options{ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second}, h, log), ln, 5*time.Second, log)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// answers writes raw to a new connection and reads every answer until the
// server closes it; open says whether it was still open after them.
func answers(t *testing.T, addr, raw string, methods ...string) (got []*http.Response, bodies []string, open bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			break
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got, bodies = append(got, resp), append(bodies, string(b))
	}
	// Closed: EOF (or a reset) at once. Open: the read times out.
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = br.ReadByte()
	var ne net.Error
	return got, bodies, errors.As(err, &ne) && ne.Timeout()
}

const (
	getHello   = "GET /hello HTTP/1.1\r\nHost: gw.test\r\n\r\n"
	postEcho   = "POST /echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 5\r\n\r\nhello"
	smuggling  = "POST /echo HTTP/1.1\r\nHost: gw.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	smuggledTE = "POST /echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"
)

// A request with both Content-Length and Transfer-Encoding is refused with
// 400 AMBIGUOUS_FRAMING and the connection closes: what follows it is
// never read as a request. First on a connection or after others alike.
func TestAmbiguousFramingIsRefusedAndCloses(t *testing.T) {
	addr := serveRaw(t)
	for name, tc := range map[string]struct {
		raw     string
		methods []string
	}{
		"first":                   {smuggling + getHello, []string{"POST", "GET"}},
		"TE before CL":            {smuggledTE + getHello, []string{"POST", "GET"}},
		"after a GET":             {getHello + smuggling + getHello, []string{"GET", "POST", "GET"}},
		"after a body":            {postEcho + getHello + smuggling + getHello, []string{"POST", "GET", "POST", "GET"}},
		"after OPTIONS *":         {"OPTIONS * HTTP/1.1\r\nHost: gw.test\r\n\r\n" + smuggling + getHello, []string{"OPTIONS", "POST", "GET"}},
		"split header":            {getHello + "POST /echo HTTP/1.1\r\nHost: gw.test\r\nContent-Len" + "gth: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + getHello, []string{"GET", "POST", "GET"}},
		"HTTP/1.0 with TE":        {"POST /echo HTTP/1.0\r\nHost: gw.test\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" + getHello, []string{"POST", "GET"}},
		"HTTP/1.0 with TE and CL": {"POST /echo HTTP/1.0\r\nHost: gw.test\r\nConnection: keep-alive\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello" + getHello, []string{"POST", "GET"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, bodies, open := answers(t, addr, tc.raw, tc.methods...)
			last := len(tc.methods) - 2 // the refused request; one more follows it
			if len(got) != last+1 {
				t.Fatalf("%d answers, want %d: %q", len(got), last+1, bodies)
			}
			for i := range last {
				if got[i].StatusCode != http.StatusOK {
					t.Errorf("answer %d: %d %q", i, got[i].StatusCode, bodies[i])
				}
			}
			if got[last].StatusCode != http.StatusBadRequest || !strings.Contains(bodies[last], `"code":"AMBIGUOUS_FRAMING"`) || !got[last].Close {
				t.Errorf("ambiguous request: %d %q close=%v", got[last].StatusCode, bodies[last], got[last].Close)
			}
			if open {
				t.Error("the connection stays open after the ambiguous request")
			}
		})
	}
}

// A chunked request is answered, and the connection closes after it: its
// body is not followed. Requests with a Content-Length keep it open.
func TestChunkedRequestClosesAndOthersKeepAlive(t *testing.T) {
	addr := serveRaw(t)
	chunked := "POST /echo HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
	got, bodies, open := answers(t, addr, getHello+chunked+getHello, "GET", "POST", "GET")
	if len(got) != 2 || bodies[1] != "hello" || !got[1].Close || open {
		t.Errorf("chunked request: %d answers %q, close=%v, open after=%v", len(got), bodies, len(got) > 1 && got[1].Close, open)
	}

	got, bodies, open = answers(t, addr, postEcho+getHello+postEcho+"OPTIONS * HTTP/1.1\r\nHost: gw.test\r\n\r\n"+getHello,
		"POST", "GET", "POST", "OPTIONS", "GET")
	if len(got) != 5 || !open {
		t.Fatalf("plain requests: %d answers %q, open after=%v", len(got), bodies, open)
	}
	for i, resp := range got {
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Errorf("answer %d: %d close=%v", i, resp.StatusCode, resp.Close)
		}
	}
}

// splits feeds stream to a framing in every way of cutting it in two, and
// byte by byte, and checks each ends the same.
func followed(t *testing.T, stream string) (blocks, stop int64) {
	t.Helper()
	var ref framing
	ref.scan([]byte(stream))
	blocks, stop = ref.blocks.Load(), ref.stop.Load()
	for cut := range len(stream) {
		var f framing
		f.scan([]byte(stream[:cut]))
		f.scan([]byte(stream[cut:]))
		if f.blocks.Load() != blocks || f.stop.Load() != stop {
			t.Fatalf("cut at %d: blocks %d stop %#x, want %d %#x", cut, f.blocks.Load(), f.stop.Load(), blocks, stop)
		}
	}
	var f framing
	for i := range len(stream) {
		f.scan([]byte{stream[i]})
	}
	if f.blocks.Load() != blocks || f.stop.Load() != stop {
		t.Fatalf("byte by byte: blocks %d stop %#x, want %d %#x", f.blocks.Load(), f.stop.Load(), blocks, stop)
	}
	return blocks, stop
}

func TestFramingFollowsRequests(t *testing.T) {
	long := "X-Long: " + strings.Repeat("x", 3*lineKeep) + "\r\n"
	for _, tc := range []struct {
		name   string
		stream string
		blocks int64
		stop   int64
	}{
		{"plain", getHello + postEcho + getHello, 3, 0},
		{"bare LF", "GET / HTTP/1.1\nHost: a\n\n" + getHello, 2, 0},
		{"blank lines after a body", postEcho + "\r\n" + getHello, 2, 0},
		{"body looks like a head", "POST / HTTP/1.1\r\nContent-Length: 38\r\n\r\n" + smuggling[:38] + getHello, 2, 0},
		{"long lines", "GET /" + strings.Repeat("a", 500) + " HTTP/1.1\r\n" + long + "Host: a\r\n\r\n" + getHello, 2, 0},
		{"CL in any case, spaces", "POST / HTTP/1.1\r\ncOnTeNt-LeNgTh: \t 3 \r\n\r\nabc" + getHello, 2, 0},
		{"same CL twice", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc" + getHello, 2, 0},
		{"folded field", "GET / HTTP/1.1\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n" + getHello, 2, 0},
		{"CL and TE", getHello + smuggling + getHello, 2, 2<<stopBits | stopTE | stopCL},
		{"TE", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + getHello, 1, 1<<stopBits | stopTE},
		{"two CLs", "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc" + getHello, 1, 1<<stopBits | stopCL},
		{"CL folded", "POST / HTTP/1.1\r\nContent-Length:\r\n 3\r\n\r\nabc" + getHello, 1, 1<<stopBits | stopCL},
		{"CL not a number", "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc", 1, 1<<stopBits | stopCL},
		{"CL too long to keep", "POST / HTTP/1.1\r\nContent-Length: " + strings.Repeat(" ", lineKeep) + "3\r\n\r\nabc", 1, 1<<stopBits | stopCL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocks, stop := followed(t, tc.stream)
			if blocks != tc.blocks || stop != tc.stop {
				t.Errorf("blocks %d stop %#x, want %d %#x", blocks, stop, tc.blocks, tc.stop)
			}
		})
	}
}

// FuzzFraming: framing agrees with net/http on where each request starts
// and ends. Fed the stream up to the end of each header block net/http
// reads, framing must have counted exactly that block, until the first
// whose header has a Transfer-Encoding field, where it must stop, saying
// whether a Content-Length field came with it. How reads cut the stream
// changes nothing.
func FuzzFraming(f *testing.F) {
	for _, s := range []string{
		getHello + postEcho + getHello, smuggling + getHello, postEcho + "\r\n" + getHello,
		"GET / HTTP/1.1\nHost: a\n\n", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\nx",
		"POST / HTTP/1.1\r\nContent-Length:\r\n 3\r\n\r\nabc", "GET / HTTP/1.1\r\nX: 1\r\n\tContent-Length: 2\r\n\r\n",
	} {
		f.Add([]byte(s), uint16(7))
	}
	f.Fuzz(func(t *testing.T, stream []byte, cut uint16) {
		var fr framing
		fed := 0
		feed := func(to int) {
			fr.scan(stream[fed:to])
			fed = to
		}
		defer func() {
			// The same stream cut elsewhere ends the same.
			feed(len(stream))
			var other framing
			c := min(int(cut), len(stream))
			other.scan(stream[:c])
			other.scan(stream[c:])
			if other.blocks.Load() != fr.blocks.Load() || other.stop.Load() != fr.stop.Load() {
				t.Fatalf("cut at %d: blocks %d stop %#x; whole: %d %#x", c, other.blocks.Load(), other.stop.Load(), fr.blocks.Load(), fr.stop.Load())
			}
		}()

		cr := &countingReader{r: bytes.NewReader(stream)}
		br := bufio.NewReader(cr)
		offset := func() int { return int(cr.n) - br.Buffered() }
		for k := int64(1); ; k++ {
			start := offset()
			req, err := http.ReadRequest(br)
			if err != nil {
				return // net/http refuses it and closes
			}
			end := offset()
			if fr.stop.Load() != 0 {
				t.Fatalf("request %d read after framing stopped: %#x", k, fr.stop.Load())
			}
			feed(end - 1)
			if n := fr.blocks.Load(); n != k-1 {
				t.Fatalf("request %d: %d blocks before the last byte of its head\n%q", k, n, stream)
			}
			feed(end)
			stop := fr.stop.Load()
			if n := fr.blocks.Load(); n != k {
				t.Fatalf("request %d: %d blocks after its head\n%q", k, n, stream)
			}
			head := stream[start:end]
			te, cl := hasField(head, "transfer-encoding"), hasField(head, "content-length")
			if te || len(req.TransferEncoding) > 0 {
				want := k<<stopBits | stopTE
				if cl {
					want |= stopCL
				}
				if stop != want {
					t.Fatalf("request %d has Transfer-Encoding (CL %v); stop %#x, want %#x\n%q", k, cl, stop, want, head)
				}
				return
			}
			if stop != 0 {
				if stop>>stopBits != k || stop&stopTE != 0 {
					t.Fatalf("request %d: stop %#x", k, stop)
				}
				return // an odd Content-Length net/http took: the connection closes after it
			}
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return
			}
			feed(offset())
		}
	})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// hasField is the plain reading of a whole header block: does a line
// start with name and a colon? (Folded lines start with a space.)
func hasField(head []byte, name string) bool {
	for line := range bytes.SplitSeq(head, []byte("\n")) {
		if fieldName(line, name) {
			return true
		}
	}
	return false
}

// BenchmarkFramingScan is what following costs a request as a browser
// sends it.
func BenchmarkFramingScan(b *testing.B) {
	head := []byte("GET /media/films/trailer.mp4?auth=" + strings.Repeat("eyJhbGciOiJSUzI1NiJ9", 12) + " HTTP/1.1\r\n" +
		"Host: media.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\r\n" +
		"Accept: */*\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: identity;q=1, *;q=0\r\nRange: bytes=0-\r\n" +
		"Referer: https://www.example.com/watch\r\nConnection: keep-alive\r\nCookie: session=" + strings.Repeat("c", 64) + "\r\n\r\n")
	var f framing
	b.SetBytes(int64(len(head)))
	b.ReportAllocs()
	for b.Loop() {
		f.scan(head)
	}
}

// readFromConn is a connection that records a ReadFrom and a CloseWrite.
type readFromConn struct {
	net.Conn
	readFrom, closeWrite bool
}

func (c *readFromConn) ReadFrom(r io.Reader) (int64, error) {
	c.readFrom = true
	return io.Copy(io.Discard, r)
}
func (c *readFromConn) CloseWrite() error { c.closeWrite = true; return nil }

// A framedConn keeps what net/http and tcpmore look for on the connection
// it wraps: ReadFrom (sendfile), CloseWrite, and the connection itself.
func TestFramedConnKeepsTheConnectionsMethods(t *testing.T) {
	inner := &readFromConn{}
	var c net.Conn = &framedConn{Conn: inner}
	if _, err := c.(io.ReaderFrom).ReadFrom(strings.NewReader("file")); err != nil || !inner.readFrom {
		t.Errorf("ReadFrom did not reach the connection: %v", err)
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil || !inner.closeWrite {
		t.Errorf("CloseWrite did not reach the connection: %v", err)
	}
	if c.(interface{ NetConn() net.Conn }).NetConn() != inner {
		t.Error("NetConn is not the connection wrapped")
	}
}
