// Package tcpcork sends file responses in full TCP segments.
//
// net/http writes a response's head (with the first 512 bytes of the body)
// and then hands the rest of a file to sendfile. With TCP_NODELAY, Go's
// default, the head leaves as a packet of its own and every sendfile call
// that finds room for only part of the file pushes a short segment. On a
// busy link that is more packets for both ends, and a short tail that the
// client acknowledges late, so the sender probes for a loss that did not
// happen. Corking the socket for the length of a file response (nginx's
// tcp_nopush) sends full segments only, and the rest at once when it is
// uncorked.
package tcpcork

import (
	"context"
	"net"
	"syscall"
)

type connKey struct{}

// WithConn keeps c in ctx; it is an http.Server's ConnContext.
func WithConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// Hold corks the TCP connection of the request whose context is ctx and
// returns the function that uncorks it, which must be called once the
// response is written (before the handler returns). Without a TCP
// connection in ctx, both do nothing.
func Hold(ctx context.Context) (release func()) {
	raw := rawConn(ctx)
	if raw == nil || setCork(raw, true) != nil {
		return func() {}
	}
	return func() { setCork(raw, false) }
}

func rawConn(ctx context.Context) syscall.RawConn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	// Wrappers (the fast lane's connections, TLS) give the connection
	// they wrap.
	for i := 0; c != nil && i < 8; i++ {
		if tc, ok := c.(*net.TCPConn); ok {
			raw, err := tc.SyscallConn()
			if err != nil {
				return nil
			}
			return raw
		}
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		c = w.NetConn()
	}
	return nil
}
