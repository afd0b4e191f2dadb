package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTPS.
//
// ServeTLS serves the same handler as Serve over TLS. The handshake is
// done by the listener (tlsListener), off net/http's accept loop, so that
// each connection reaches net/http in the form that keeps the gateway's
// checks: a connection that negotiated HTTP/2 is the *tls.Conn itself,
// which net/http hands to its HTTP/2 server (binary framing: nothing to
// smuggle); any other is a framedConn over the *tls.Conn, whose plaintext
// is HTTP/1 and is followed like a TCP connection's (framing.go). net/http
// does not see such a connection as TLS, so ServeTLS gives its requests
// r.TLS itself.

// ACMETLS1 is the ALPN protocol of ACME TLS-ALPN-01 validations (RFC
// 8737): such a connection ends with its handshake.
const ACMETLS1 = "acme-tls/1"

// ServeTLS runs srv on ln, a listener of TCP connections, over TLS with
// cfg, until ctx ends, and shuts down as Serve does. A handshake must end
// within handshakeTimeout of the accept (the deadline is on the TCP
// connection, so cfg.GetCertificate may move it while it obtains a
// certificate); 0 means no limit. cfg.NextProtos should list "h2" and
// "http/1.1".
func ServeTLS(ctx context.Context, srv *http.Server, ln net.Listener, cfg *tls.Config, handshakeTimeout, timeout time.Duration, log *slog.Logger) error {
	connContext := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if connContext != nil {
			ctx = connContext(ctx, c)
		}
		if fc, ok := c.(*framedConn); ok {
			if tc, ok := fc.Conn.(*tls.Conn); ok {
				state := tc.ConnectionState()
				ctx = context.WithValue(ctx, tlsStateKey{}, &state)
			}
		}
		return ctx
	}
	h := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			r.TLS, _ = r.Context().Value(tlsStateKey{}).(*tls.ConnectionState)
		}
		h.ServeHTTP(w, r)
	})
	tl := newTLSListener(ln, cfg, handshakeTimeout, log)
	return serve(ctx, srv, tl, nil, timeout, log)
}

type tlsStateKey struct{}

// tlsListener accepts TCP connections and returns them to net/http once
// their TLS handshake is done.
type tlsListener struct {
	ln      net.Listener
	cfg     *tls.Config
	timeout time.Duration
	log     *slog.Logger

	ready chan net.Conn
	errs  chan error
	// ctx ends when the listener closes: handshakes under way stop.
	ctx       context.Context
	cancel    context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

func newTLSListener(ln net.Listener, cfg *tls.Config, timeout time.Duration, log *slog.Logger) *tlsListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &tlsListener{
		ln: ln, cfg: cfg, timeout: timeout, log: log,
		ready: make(chan net.Conn), errs: make(chan error),
		ctx: ctx, cancel: cancel,
	}
	go l.acceptLoop()
	return l
}

// Accept returns the next connection whose handshake is done, or the real
// listener's error (net/http retries the temporary ones).
func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close stops accepting and ends the handshakes under way.
func (l *tlsListener) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.closeErr = l.ln.Close()
	})
	return l.closeErr
}

// Addr is the real listener's address.
func (l *tlsListener) Addr() net.Addr { return l.ln.Addr() }

func (l *tlsListener) acceptLoop() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			// The error waits for net/http's next Accept, which comes
			// after its back-off for a temporary error.
			select {
			case l.errs <- err:
			case <-l.ctx.Done():
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.handshake(c)
	}
}

// handshake completes c's TLS handshake and hands the connection over.
func (l *tlsListener) handshake(raw net.Conn) {
	if l.timeout > 0 {
		raw.SetDeadline(time.Now().Add(l.timeout))
	}
	tc := tls.Server(raw, l.cfg)
	if err := tc.HandshakeContext(l.ctx); err != nil {
		raw.Close()
		l.log.Debug("TLS handshake failed", "remote", raw.RemoteAddr().String(), "err", err)
		return
	}
	raw.SetDeadline(time.Time{})
	var c net.Conn
	switch tc.ConnectionState().NegotiatedProtocol {
	case "h2":
		c = tc
	case ACMETLS1:
		tc.Close()
		return
	default:
		c = &framedConn{Conn: tc}
	}
	select {
	case l.ready <- c:
	case <-l.ctx.Done():
		c.Close()
	}
}
