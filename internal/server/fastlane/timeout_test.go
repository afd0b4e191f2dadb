package fastlane

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// trickle writes s a byte every 50 ms, then one more byte every 50 ms,
// until the connection fails: a slowloris client.
func (rc *rawConn) trickle(s string) {
	go func() {
		for i := 0; ; i++ {
			b := byte('a')
			if i < len(s) {
				b = s[i]
			}
			if _, err := rc.c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
}

// closedAfter waits for the server to close the connection (net/http may
// answer 400 first) and says how long that took from start.
func (rc *rawConn) closedAfter(start time.Time) time.Duration {
	rc.t.Helper()
	got, err := io.ReadAll(rc.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		rc.t.Fatalf("connection still open after %v", time.Since(start))
	}
	// Else EOF, or a reset: the server closed while the client wrote.
	if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 400 ") {
		rc.t.Fatalf("read %q, want the connection closed", got)
	}
	return time.Since(start)
}

// The timeouts of these tests: a header timeout short enough to wait for,
// an idle timeout long enough to tell apart from it.
const (
	testHeaderTimeout = 300 * time.Millisecond
	testIdleTimeout   = 10 * time.Second
	// headerMargin is how late a drop at the header timeout may come on a
	// loaded machine; still far from the idle timeout.
	headerMargin = 2 * time.Second
)

// A connection that sends nothing is dropped at the read-header timeout
// of its accept, as net/http drops it, not kept for the idle timeout.
func TestLaneDropsASilentConnectionAtTheHeaderTimeout(t *testing.T) {
	t.Parallel()
	lt := startLane(t, Options{IdleTimeout: testIdleTimeout, ReadHeaderTimeout: testHeaderTimeout})
	start := time.Now()
	rc := lt.dial(t)
	if took := rc.closedAfter(start); took > testHeaderTimeout+headerMargin {
		t.Fatalf("silent connection closed after %v; the header timeout is %v", took, testHeaderTimeout)
	}
}

// A header trickled a byte at a time is cut at the read-header timeout:
// on a new connection, and for the next request on a kept-alive one.
func TestLaneCutsATrickledHeader(t *testing.T) {
	t.Parallel()
	lt := startLane(t, Options{IdleTimeout: testIdleTimeout, ReadHeaderTimeout: testHeaderTimeout})
	for _, keepAlive := range []bool{false, true} {
		rc := lt.dial(t)
		if keepAlive {
			rc.send(get("/fast"))
			if resp, _ := rc.read("GET"); resp.StatusCode != http.StatusFound {
				t.Fatalf("first request: %d", resp.StatusCode)
			}
		}
		start := time.Now()
		rc.trickle("GET /fast HTTP/1.1\r\nHost: lane.test\r\nX-Slow: ")
		if took := rc.closedAfter(start); took > testHeaderTimeout+headerMargin {
			t.Errorf("keep-alive %v: trickled header cut after %v; the header timeout is %v", keepAlive, took, testHeaderTimeout)
		}
	}
}

// Between requests the idle timeout runs, not the last request's header
// timeout; the connection closes when it passes.
func TestLaneKeepsAnIdleConnectionForTheIdleTimeout(t *testing.T) {
	t.Parallel()
	const idle = 1500 * time.Millisecond
	lt := startLane(t, Options{IdleTimeout: idle, ReadHeaderTimeout: testHeaderTimeout})
	rc := lt.dial(t)
	// The first request arrives in two parts, so that its header deadline
	// is set; then the next one comes after more than the header timeout.
	req := get("/fast")
	rc.send(req[:10])
	time.Sleep(50 * time.Millisecond)
	rc.send(req[10:])
	rc.read("GET")
	for i := range 2 {
		time.Sleep(2 * testHeaderTimeout)
		rc.send(get("/fast"))
		if resp, _ := rc.read("GET"); resp.StatusCode != http.StatusFound {
			t.Fatalf("request %d after an idle pause: %d", i+2, resp.StatusCode)
		}
	}
	start := time.Now()
	if took := rc.closedAfter(start); took < idle-deadlineSlack/2 || took > idle+headerMargin {
		t.Errorf("idle connection closed after %v; the idle timeout is %v", took, idle)
	}
}

// A connection handed to net/http keeps net/http's timeouts: idle between
// requests, read-header for a request's header.
func TestHandedConnectionKeepsNetHTTPTimeouts(t *testing.T) {
	t.Parallel()
	lt := startLane(t, Options{IdleTimeout: testIdleTimeout, ReadHeaderTimeout: testHeaderTimeout})
	rc := lt.dial(t)
	rc.send(get("/slow"))
	if _, body := rc.read("GET"); body != "slow GET /slow " {
		t.Fatalf("handed-over answer: %q", body)
	}
	time.Sleep(2 * testHeaderTimeout)
	rc.send(get("/slow"))
	if _, body := rc.read("GET"); body != "slow GET /slow " {
		t.Fatalf("after an idle pause: %q", body)
	}
	start := time.Now()
	rc.trickle("GET /slow HTTP/1.1\r\nHost: lane.test\r\nX-Slow: ")
	if took := rc.closedAfter(start); took > testHeaderTimeout+headerMargin {
		t.Errorf("trickled header on a handed connection cut after %v", took)
	}

	// A request the lane hands over before its header ended (a bare LF)
	// is cut at the header timeout too.
	rc = lt.dial(t)
	start = time.Now()
	rc.trickle("GET /fast HTTP/1.1\nHost: lane.test\nX-Slow: ")
	if took := rc.closedAfter(start); took > testHeaderTimeout+headerMargin {
		t.Errorf("trickled bare-LF header cut after %v", took)
	}
}

// A header too long for the lane, trickled, is handed over when the lane's
// buffer fills; net/http must not give it a second header timeout.
func TestHandedHeaderKeepsItsDeadline(t *testing.T) {
	t.Parallel()
	const header = 2 * time.Second
	lt := startLane(t, Options{IdleTimeout: testIdleTimeout, ReadHeaderTimeout: header})
	rc := lt.dial(t)
	start := time.Now()
	head := "GET /fast HTTP/1.1\r\nHost: lane.test\r\nX-Big: " + strings.Repeat("b", readerSize)
	go func() {
		// The lane's buffer fills after about 1.5 s; then a byte every
		// 50 ms.
		for part := range strings.SplitSeq(chunks(head, 15), "|") {
			if _, err := io.WriteString(rc.c, part); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		rc.trickle("")
	}()
	if took := rc.closedAfter(start); took > header+800*time.Millisecond {
		t.Errorf("long trickled header cut after %v; the header timeout is %v", took, header)
	}
}

// chunks cuts s into n parts joined by "|".
func chunks(s string, n int) string {
	size := (len(s) + n - 1) / n
	var parts []string
	for len(s) > size {
		parts = append(parts, s[:size])
		s = s[size:]
	}
	return strings.Join(append(parts, s), "|")
}
