package fastlane

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Connection states, for Close: an idle connection may be closed at once;
// an active one is writing an answer and closes itself after it.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

// readerSize bounds a request the lane reads: a longer header block is
// handed to net/http, whose own limit applies.
const readerSize = 4096

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readerSize) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// conn is a connection the lane serves.
type conn struct {
	l     *Listener
	nc    net.Conn
	state atomic.Int32
}

// deadlineSlack is how stale the idle deadline may get before it is pushed
// forward: pushing it costs a timer update, and doing so once a second
// instead of once a request keeps an idle connection open for at least the
// idle timeout minus the slack.
const deadlineSlack = time.Second

// serve reads and answers requests until one is not the lane's. Its
// deadlines are net/http's: the first request's header block must arrive
// within the read-header timeout of the accept; between requests the idle
// timeout runs until the next request's first bytes, and from then on the
// rest of its header block must arrive within the read-header timeout.
// A client that connects and sends nothing, or trickles its header a byte
// at a time (slowloris), is dropped after the read-header timeout, not
// kept for the idle one.
func (c *conn) serve() {
	br := getReader(c.nc)
	var (
		req    Request
		resp   Response
		pushed time.Time // when the idle deadline was last pushed forward; zero: the read deadline is not the idle one
		// headerBy is the read-header deadline of the request being
		// read, zero when none runs; armed is set once the read deadline
		// is that request's.
		headerBy time.Time
		armed    = true
	)
	idle, header := c.l.opts.IdleTimeout, c.l.opts.ReadHeaderTimeout
	slack := min(deadlineSlack, idle/16)
	if header > 0 {
		headerBy = time.Now().Add(header)
		c.nc.SetReadDeadline(headerBy)
	}
	for {
		if br.Buffered() == 0 {
			if !armed {
				pushed = c.idle(idle, slack, pushed, req.Time)
			}
			if _, err := br.Peek(1); err != nil {
				c.end(br)
				return
			}
		}
		buf, _ := br.Peek(br.Buffered())
		n, res := parse(buf, &req)
		for res == incomplete {
			// The rest of the header block is on its way; it must arrive
			// within the read-header timeout of its first bytes.
			if br.Buffered() >= br.Size() {
				res = other
				break
			}
			if !armed {
				headerBy = time.Time{}
				if header > 0 {
					headerBy = time.Now().Add(header)
				}
				c.nc.SetReadDeadline(headerBy)
				pushed, armed = time.Time{}, true
			}
			if _, err := br.Peek(br.Buffered() + 1); err != nil {
				c.end(br)
				return
			}
			buf, _ = br.Peek(br.Buffered())
			n, res = parse(buf, &req)
		}
		if res != complete {
			c.handOff(br, headerBy)
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			c.end(br) // the lane closed
			return
		}
		if req.RemoteAddr == "" {
			req.RemoteAddr = c.nc.RemoteAddr().String()
		}
		req.Time = time.Now()
		resp.Reset()
		if !c.l.h.Answer(&req, &resp) || !resp.valid() {
			c.state.Store(stateIdle)
			c.handOff(br, headerBy)
			return
		}
		br.Discard(n)
		if err := c.write(&resp, &req); err != nil || req.Close || c.l.closing.Load() {
			c.end(br)
			return
		}
		c.state.Store(stateIdle)
		if c.l.closing.Load() {
			// Close may have passed this connection while it was active.
			c.end(br)
			return
		}
		// The next request's header deadline starts with its first bytes.
		armed, headerBy = false, time.Time{}
	}
}

// idle sets the deadline of a wait for the next request and returns when
// it was pushed: the idle timeout from the last request (pushed forward
// at most once per slack), or none without one. The read deadline may
// still be the last request's read-header one (pushed is zero then),
// which must go.
func (c *conn) idle(idle, slack time.Duration, pushed, now time.Time) time.Time {
	// The last request's time is close enough, and saves reading the
	// clock again.
	if now.IsZero() {
		now = time.Now()
	}
	switch {
	case idle > 0:
		if pushed.IsZero() || now.Sub(pushed) > slack {
			c.nc.SetDeadline(now.Add(idle))
			return now
		}
	case pushed.IsZero():
		c.nc.SetReadDeadline(time.Time{})
		return now
	}
	return pushed
}

func (c *conn) write(resp *Response, req *Request) error {
	closeConn := req.Close
	bp := writeBufs.Get().(*[]byte)
	*bp = resp.appendTo((*bp)[:0], req.Method == "HEAD", closeConn, req.Time)
	_, err := c.nc.Write(*bp)
	writeBufs.Put(bp)
	if err == nil && closeConn {
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
	return err
}

// end closes the connection.
func (c *conn) end(br *bufio.Reader) {
	c.state.Store(stateClosed)
	c.nc.Close()
	putReader(br)
	c.l.forget(c)
}

// handOff gives the connection, and what was read of it, to net/http.
// headerBy is the read-header deadline of the request handed over, zero
// when none runs: net/http sets its own deadlines, but this one stays in
// force (see handedConn.SetReadDeadline).
func (c *conn) handOff(br *bufio.Reader, headerBy time.Time) {
	c.nc.SetDeadline(time.Time{})
	if !headerBy.IsZero() {
		c.nc.SetReadDeadline(headerBy)
	}
	c.l.forget(c)
	hc := &handedConn{Conn: c.nc, br: br, headerBy: headerBy}
	if br.Buffered() == 0 {
		hc.br = nil
		putReader(br)
	}
	c.l.give(hc)
}
