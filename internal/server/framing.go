package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// Request framing, against request smuggling.
//
// A request that carries both Content-Length and Transfer-Encoding is
// framed one way by a proxy that reads the first and another by net/http,
// which reads the second: the two disagree on where the next request on
// the connection starts, and the bytes after the body become a request
// the proxy never saw. RFC 9112 §6.1 has the server close the connection
// after such a request; the gateway refuses it (400 AMBIGUOUS_FRAMING)
// and closes. An HTTP/1.0 request with Transfer-Encoding is as ambiguous
// (net/http ignores the field there and frames the body by
// Content-Length) and is refused alike.
//
// net/http deletes Content-Length from a chunked request's header, and
// Transfer-Encoding from an HTTP/1.0 one, so a handler cannot tell. Serve
// therefore wraps each connection it hands net/http in a framedConn,
// which follows the requests in the bytes net/http reads from it: header
// blocks, and bodies by their Content-Length. For each header block it
// notes a Content-Length and a Transfer-Encoding field; observe asks it
// about every request, in the order net/http serves them. A chunked body
// is not followed: after a request with Transfer-Encoding the connection
// closes, which costs a chunked upload its keep-alive and nothing more.
// Whatever the framedConn cannot follow closes the connection after the
// request too. The bytes must be HTTP/1 in clear: the wrapper sits
// directly on the TCP connection (or on the fast lane's), or on a TLS
// connection's plaintext once HTTP/1.1 was negotiated (tls.go).

// CodeAmbiguousFraming is the code of a request refused for carrying
// Content-Length and Transfer-Encoding together, or Transfer-Encoding in
// HTTP/1.0.
const CodeAmbiguousFraming = "AMBIGUOUS_FRAMING"

// framedListener wraps the connections it accepts in framedConns.
type framedListener struct{ net.Listener }

func (l framedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framedConn{Conn: c}, nil
}

// framedConn is a connection whose requests' framing is followed as net/http
// reads them.
type framedConn struct {
	net.Conn
	f framing
	// active is set while net/http serves a request of the connection
	// (see Serve).
	active atomic.Bool
}

func (c *framedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.f.state != scanStopped {
		c.f.scan(p[:n])
	}
	return n, err
}

// ReadFrom keeps the connection's sendfile and splice reachable: net/http
// streams files through it.
func (c *framedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite lets net/http half-close, as it does on a TCP connection.
func (c *framedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// NetConn is the connection wrapped.
func (c *framedConn) NetConn() net.Conn { return c.Conn }

const (
	scanHead    = iota // in a header block, or before one
	scanBody           // in a body of known length
	scanStopped        // lost, or past a block with Transfer-Encoding
)

// Flags of the header block where following stopped.
const (
	stopTE   = 1 << iota // it has a Transfer-Encoding field
	stopCL               // it has a Content-Length field
	stopBits = iota
)

// lineKeep is how much of a line split between two reads is kept: enough
// for any Content-Length field a client sends.
const lineKeep = 64

// framing follows the requests of one connection.
type framing struct {
	// Only scan, that is Read, uses these: net/http never reads one
	// connection from two goroutines at once.
	state   int8
	inBlock bool // false: the next line starts a header block
	cl, te  bool // the block has a Content-Length, a Transfer-Encoding field
	odd     bool // the block has something not followed (see line)
	lastCL  bool // the last field line was Content-Length
	length  int64
	remain  int64          // body bytes still to come
	partial int            // length of a line begun in an earlier read
	line    [lineKeep]byte // its first bytes

	// Shared with the handlers, which observe runs on another goroutine
	// than a background read.
	blocks atomic.Int64 // header blocks read in full
	stop   atomic.Int64 // block number<<stopBits | flags, where following stopped; 0: it goes on
	served atomic.Int64 // requests observe has seen
}

// scan follows p, the next bytes net/http reads.
func (f *framing) scan(p []byte) {
	for len(p) > 0 {
		switch f.state {
		case scanStopped:
			return
		case scanBody:
			if int64(len(p)) < f.remain {
				f.remain -= int64(len(p))
				return
			}
			p = p[f.remain:]
			f.remain, f.state = 0, scanHead
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				// A line split between reads: keep its start.
				if f.partial < lineKeep {
					copy(f.line[f.partial:], p)
				}
				f.partial += len(p)
				return
			}
			// Only a line's start is looked at, split or not, so that
			// how reads cut the stream changes nothing.
			line, long := p[:min(i, lineKeep)], i > lineKeep
			if f.partial > 0 {
				if f.partial < lineKeep {
					copy(f.line[f.partial:], line)
				}
				n := f.partial + i
				line, long = f.line[:min(n, lineKeep)], n > lineKeep
				f.partial = 0
			}
			p = p[i+1:]
			f.onLine(line, long)
		}
	}
}

// onLine takes one line, without its LF, as net/http's textproto reads
// it; long says only its first lineKeep bytes are there.
func (f *framing) onLine(l []byte, long bool) {
	if !long && len(l) > 0 && l[len(l)-1] == '\r' {
		l = l[:len(l)-1]
	}
	switch {
	case !f.inBlock:
		if len(l) == 0 {
			return // net/http skips blank lines after a POST, and refuses them otherwise
		}
		f.inBlock = true // the request line
		f.cl, f.te, f.odd, f.lastCL, f.length = false, false, false, false, 0
	case len(l) == 0:
		f.endBlock()
	case l[0] == ' ' || l[0] == '\t':
		// An obsolete line folding: net/http joins it to the field
		// above. After a Content-Length it may hold the value.
		if f.lastCL {
			f.odd = true
		}
	default:
		f.lastCL = false
		switch {
		case fieldName(l, "content-length"):
			n, ok := contentLength(l[len("content-length:"):])
			if long || !ok || f.cl && n != f.length {
				// Longer than any client sends, not a number, or two
				// values: net/http refuses the last two and closes.
				f.odd = true
			}
			f.cl, f.lastCL, f.length = true, true, n
		case fieldName(l, "transfer-encoding"):
			f.te = true
		}
	}
}

// endBlock ends a header block: its body follows, or following stops.
func (f *framing) endBlock() {
	n := f.blocks.Add(1)
	f.inBlock = false
	if f.te || f.odd {
		var flags int64
		if f.te {
			flags |= stopTE
		}
		if f.cl {
			flags |= stopCL
		}
		f.stop.Store(n<<stopBits | flags)
		f.state = scanStopped
		return
	}
	if f.length > 0 {
		f.state, f.remain = scanBody, f.length
	}
}

// fieldName reports whether line is a field named name (lower case).
func fieldName(line []byte, name string) bool {
	if len(line) <= len(name) || line[len(name)] != ':' {
		return false
	}
	for i := range len(name) {
		c := line[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// contentLength parses a Content-Length value as net/http does: decimal
// digits between spaces. More than 18 digits is not followed.
func contentLength(v []byte) (int64, bool) {
	v = bytes.Trim(v, " \t\r")
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

type framingKey struct{}

// withFraming keeps c's framing in ctx, for checkFraming.
func withFraming(ctx context.Context, c net.Conn) context.Context {
	if fc, ok := c.(*framedConn); ok {
		return context.WithValue(ctx, framingKey{}, &fc.f)
	}
	return ctx
}

// What checkFraming says of a request.
const (
	framingOK     = iota
	framingClose  // answer, then close the connection
	framingReject // answer 400, then close
)

// checkFraming says whether r may be answered on a connection that stays
// open. observe calls it once for every request net/http serves, in order.
func checkFraming(r *http.Request) int {
	verdict := framingOK
	if len(r.TransferEncoding) > 0 {
		// Also without a framedConn: a chunked body is not followed.
		verdict = framingClose
	}
	f, _ := r.Context().Value(framingKey{}).(*framing)
	if f == nil {
		return verdict
	}
	k := f.served.Add(1)
	if stop := f.stop.Load(); stop != 0 && k >= stop>>stopBits {
		if k == stop>>stopBits && stop&stopTE != 0 && (stop&stopCL != 0 || !r.ProtoAtLeast(1, 1)) {
			return framingReject
		}
		return framingClose
	}
	if f.blocks.Load() < k {
		// net/http read a request the framedConn did not see end: it
		// lost track.
		return framingClose
	}
	return verdict
}
