// Package tcpmore sends a file response's head in the same TCP segment as
// the start of its body.
//
// net/http writes a response's head and then hands a file body to
// sendfile. With TCP_NODELAY, Go's default, the head leaves as a packet of
// its own. Worse, net/http copies the first 512 bytes of the body with the
// head, so sendfile starts mid-page and the body ends in a short segment
// that the client acknowledges late: on a busy link the sender probes for
// a loss that did not happen, about every second response. nginx corks
// the socket for the length of the response (tcp_nopush); corking from Go
// costs more, because the uncork waits for the goroutine to be scheduled
// again after sendfile returns, which on a loaded server adds tens of
// milliseconds to the slowest responses.
//
// Instead the head is sent with MSG_MORE: the kernel holds it until the
// next send, sendfile's, joins it, and sendfile pushes everything when it
// ends. Listen wraps the connections so that their next Write can carry
// the flag; More, called by a handler just before it hands a file to the
// connection, arms it; Flush pushes the head if nothing followed it.
package tcpmore

import (
	"context"
	"io"
	"net"
	"sync/atomic"
)

// Listen wraps ln: the TCP connections it accepts are Conns.
func Listen(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &Conn{TCPConn: tc}, nil
	}
	return c, err
}

// Conn is a TCP connection whose next Write can be held for the data
// after it. Its ReadFrom is the TCPConn's: sendfile and splice.
type Conn struct {
	*net.TCPConn
	more atomic.Bool // the next Write carries MSG_MORE
	held atomic.Bool // a write was held and nothing has pushed it yet
}

// Write writes p, holding it for the next send if More armed it.
func (c *Conn) Write(p []byte) (int, error) {
	if c.more.Swap(false) {
		n, err := writeMore(c.TCPConn, p)
		if err == nil {
			c.held.Store(true)
			return n, nil
		}
		if n > 0 || !isUnsupported(err) {
			return n, err
		}
		// No MSG_MORE here: write as usual.
	}
	c.held.Store(false)
	return c.TCPConn.Write(p)
}

// ReadFrom copies r to the connection; its last send pushes what a held
// write left.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	n, err := c.TCPConn.ReadFrom(r)
	if n > 0 {
		c.held.Store(false)
	}
	return n, err
}

type connKey struct{}

// WithConn keeps c in ctx; it is an http.Server's ConnContext.
func WithConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// More arms the connection of the request whose context is ctx: its next
// Write (the response head, once flushed) is held until the body joins
// it. Call Flush after the body is written. Without a Conn in ctx, both do
// nothing.
func More(ctx context.Context) {
	if c := conn(ctx); c != nil {
		c.more.Store(true)
	}
}

// Flush sends at once whatever More left held: a head that no body
// followed, such as when the copy failed before its first byte.
func Flush(ctx context.Context) {
	c := conn(ctx)
	if c == nil {
		return
	}
	c.more.Store(false)
	if c.held.Swap(false) {
		push(c.TCPConn)
	}
}

func conn(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	// Wrappers (the fast lane's handed-over connections) give the
	// connection they wrap.
	for i := 0; c != nil && i < 8; i++ {
		if tc, ok := c.(*Conn); ok {
			return tc
		}
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		c = w.NetConn()
	}
	return nil
}
