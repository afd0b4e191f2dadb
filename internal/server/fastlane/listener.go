// Package fastlane answers the gateway's hottest requests straight on the
// connection, and hands every other connection to net/http.
//
// A published signed link whose result is cached is answered with a 302
// and nothing else; for such a request most of the cost of net/http is its
// own per-request machinery. The lane is a net.Listener that sits between
// the real listener and an http.Server. Each accepted connection is read by
// the lane first: a GET or HEAD request that parses under a strict subset
// of HTTP/1.1 (see parse) is offered to a Handler, which answers it from
// memory or declines. The first request the lane does not answer (any
// other method, a body, an unusual header, a declined request) hands the
// connection, with every byte read so far, to the http.Server through
// Accept, and the connection stays with net/http from then on. The lane
// never refuses anything itself, so every error answer is net/http's and
// the gateway's own.
//
// The lane keeps the server's timeouts as net/http applies them: the first
// request's header block must arrive within the read-header timeout of the
// accept; a connection idle longer than the idle timeout is closed; once a
// next request's first bytes arrive, the rest of its header block must
// follow within the read-header timeout.
package fastlane

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Handler answers the requests the lane parsed.
type Handler interface {
	// Answer fills resp and returns true to answer req on the lane, or
	// returns false to hand the request (and its connection) to net/http.
	// It must not keep req or resp.
	Answer(req *Request, resp *Response) bool
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(req *Request, resp *Response) bool

// Answer calls f.
func (f HandlerFunc) Answer(req *Request, resp *Response) bool { return f(req, resp) }

// Options are the lane's timeouts; zero values take net/http's defaults
// for a server with the same zero settings (no limit).
type Options struct {
	IdleTimeout       time.Duration
	ReadHeaderTimeout time.Duration
}

// Listener is the lane in front of ln. Pass it to http.Server.Serve: its
// Accept returns the connections handed over.
type Listener struct {
	ln      net.Listener
	h       Handler
	opts    Options
	handoff chan net.Conn
	done    chan struct{}
	closing atomic.Bool
	wg      sync.WaitGroup

	mu        sync.Mutex
	conns     map[*conn]struct{}
	acceptErr error
	failed    chan struct{}
	closeOnce sync.Once
}

// Listen starts the lane on ln.
func Listen(ln net.Listener, h Handler, opts Options) *Listener {
	l := &Listener{
		ln: ln, h: h, opts: opts,
		handoff: make(chan net.Conn),
		done:    make(chan struct{}),
		failed:  make(chan struct{}),
		conns:   make(map[*conn]struct{}),
	}
	go l.acceptLoop()
	return l
}

var _ net.Listener = (*Listener)(nil)

// Accept returns the next connection handed to net/http.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.handoff:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.failed:
		l.mu.Lock()
		defer l.mu.Unlock()
		return nil, l.acceptErr
	}
}

// Addr is the address of the real listener.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting and closes the lane's idle connections; a
// connection in the middle of an answer closes when it is written. Wait
// waits for them. Connections already handed over are net/http's.
func (l *Listener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.closing.Store(true)
		err = l.ln.Close()
		close(l.done)
		l.mu.Lock()
		for c := range l.conns {
			if c.state.CompareAndSwap(stateIdle, stateClosed) {
				c.nc.Close()
			}
		}
		l.mu.Unlock()
	})
	return err
}

// Wait waits until every connection the lane still serves has ended, or
// ctx ends.
func (l *Listener) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Cut closes every connection the lane still serves, as
// http.Server.Close does for its own, and returns how many of them were in
// the middle of an answer. It is for the end of a shutdown whose Wait ran
// out of time; Close must have been called.
func (l *Listener) Cut() int {
	n := 0
	l.mu.Lock()
	for c := range l.conns {
		if c.state.Load() == stateActive {
			n++
		}
		c.nc.Close()
	}
	l.mu.Unlock()
	return n
}

func (l *Listener) acceptLoop() {
	var pause time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if l.closing.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: back off as
				// net/http does, and go on.
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				time.Sleep(pause)
				continue
			}
			l.mu.Lock()
			l.acceptErr = err
			l.mu.Unlock()
			close(l.failed)
			return
		}
		pause = 0
		c := &conn{l: l, nc: nc}
		l.mu.Lock()
		if l.closing.Load() {
			l.mu.Unlock()
			nc.Close()
			return
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go c.serve()
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// forget drops c from the lane's connections.
func (l *Listener) forget(c *conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.wg.Done()
}

// give hands nc to net/http, or closes it when the lane is closing.
func (l *Listener) give(nc net.Conn) {
	select {
	case l.handoff <- nc:
	case <-l.done:
		nc.Close()
	case <-l.failed:
		nc.Close()
	}
}

// handedConn is a connection handed to net/http: it reads what the lane
// read ahead first, then the connection itself.
type handedConn struct {
	net.Conn
	mu sync.Mutex
	br *bufio.Reader // nil once drained
	// headerBy is the read-header deadline the lane had started for the
	// request handed over; zero once net/http set its first deadline.
	headerBy time.Time
}

func (c *handedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	br := c.br
	if br != nil && br.Buffered() == 0 {
		c.br = nil
		putReader(br)
		br = nil
	}
	c.mu.Unlock()
	if br != nil {
		return br.Read(p)
	}
	return c.Conn.Read(p)
}

// ReadFrom keeps the connection's sendfile and splice reachable: net/http
// streams files through it.
func (c *handedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// SetReadDeadline keeps the lane's read-header deadline when net/http sets
// its first one: net/http starts the read-header timeout again when it
// takes the connection, and a client that trickled most of a header too
// long for the lane would otherwise get a second full timeout for the
// rest. Later deadlines (the idle one, a handler's) are net/http's own.
func (c *handedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	by := c.headerBy
	c.headerBy = time.Time{}
	c.mu.Unlock()
	if !by.IsZero() && !t.IsZero() && by.Before(t) {
		t = by
	}
	return c.Conn.SetReadDeadline(t)
}

// NetConn is the connection itself.
func (c *handedConn) NetConn() net.Conn { return c.Conn }

// CloseWrite lets net/http half-close, as it does on a plain TCP
// connection.
func (c *handedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Verdict is what a router says of a request offered to the lane.
type Verdict int

const (
	// Pass: not this router's request; ask the next.
	Pass Verdict = iota
	// Answered: the router filled the response.
	Answered
	// Slow: the router's request, but it needs the full path (net/http).
	Slow
)
