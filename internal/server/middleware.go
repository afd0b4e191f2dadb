package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
)

// validRequestID accepts a client's own request id (a load balancer's, say)
// when it is short and plain: 1 to 64 of A-Z a-z 0-9 . _ : -. Anything else
// is replaced, so ids are safe to log.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// Request ids are a random prefix drawn once per process and a counter:
// unique across instances and restarts without a random draw per request.
var (
	idPrefix = func() [6]byte {
		var b [6]byte
		_, _ = rand.Read(b[:])
		return b
	}()
	idCounter atomic.Uint64
)

// newRequestID returns 24 hex digits.
func newRequestID() string {
	var b [14]byte // 6 of prefix, then the counter's low 48 bits
	binary.BigEndian.PutUint64(b[6:], idCounter.Add(1)<<16)
	copy(b[:6], idPrefix[:])
	return hex.EncodeToString(b[:12])
}

// nosniff is the value of X-Content-Type-Options, shared by every response
// to save an allocation: Header.Set replaces it, and Header.Add cannot
// write into it (its capacity is full).
var nosniff = []string{"nosniff"}[:1:1]

// observe is the outermost middleware: request id, request-scoped logger,
// panic recovery, access log (as sample picks) and request metrics, and
// the check of the request's framing.
func observe(next http.Handler, log *slog.Logger, m *Metrics, sample *AccessSample) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		h := w.Header()
		h.Set("X-Request-Id", id)
		// Browsers must not guess a type from the bytes of any answer
		// (a JSON error, a proxied file with a loose Content-Type): that
		// guess turns uploaded or fetched content into script.
		h["X-Content-Type-Options"] = nosniff
		scope := &Scope{RequestID: id, Base: log}
		r = r.WithContext(WithScope(r.Context(), scope))
		rec := &recorder{ResponseWriter: w}

		m.InFlight.Inc()
		defer func() {
			m.InFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p) // the server's own signal to abort the response
				}
				scope.Logger().Error("panic serving request", "panic", p, "stack", string(debug.Stack()))
				if !rec.wroteHeader {
					WriteJSON(rec, http.StatusInternalServerError, ErrorBody{
						Message: "internal error; the request id in X-Request-Id identifies it in the log",
						Code:    CodeInternal,
					})
				}
			}
			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched" // dynamic routes and misses: keep label cardinality bounded
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			m.Requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
			m.RequestDuration.WithLabelValues(route).Observe(elapsed.Seconds())
			if sample.keep(status) {
				accessLog(r.Context(), log, id, r.Method, r.Host, r.URL.Path, route, status, rec.bytes, elapsed, r.RemoteAddr)
			}
		}()
		if v := checkFraming(r); v != framingOK {
			// The connection must not carry another request: the
			// bytes after this one may be framed otherwise by a proxy
			// in front (see framing.go).
			h.Set("Connection", "close")
			if v == framingReject {
				WriteError(rec, r, BadRequest(CodeAmbiguousFraming,
					"a request may not carry both Content-Length and Transfer-Encoding, nor Transfer-Encoding in HTTP/1.0"))
				return
			}
		}
		next.ServeHTTP(rec, r)
	})
}

// recorder remembers the status and size of a response. It keeps the
// optional interfaces that streaming depends on reachable through Unwrap
// (http.ResponseController) and ReaderFrom (sendfile).
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		if code >= 200 {
			r.wroteHeader = true
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom lets io.Copy from an *os.File reach the connection's sendfile.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := io.Copy(r.ResponseWriter, src)
	r.bytes += n
	return n, err
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// AccessSample picks the responses whose access line is written: every
// error and refusal (status 400 and up), and of the successful answers
// (below 400: redirects are the normal answer of a signed link) a fixed
// fraction, spread evenly: at 0.01, the 1st, 101st, 201st... A nil
// *AccessSample writes every line. One sample shared by the net/http path
// and the fast lane counts their successes together; it takes no lock.
type AccessSample struct {
	all bool
	// Of every 2^32 successes, p are logged: the kth (from 0) when
	// k*p mod 2^32 < p, which uint32 arithmetic computes as it wraps.
	p uint32
	n atomic.Uint32
}

// NewAccessSample returns the sample that logs rate (0 to 1) of the
// successful answers.
func NewAccessSample(rate float64) *AccessSample {
	f := math.Round(rate * (1 << 32))
	switch {
	case f >= 1<<32:
		return &AccessSample{all: true}
	case f > 0:
		return &AccessSample{p: uint32(f)}
	}
	return &AccessSample{} // rate 0 (or below): errors only
}

// keep reports whether the access line of a response with status is
// written.
func (s *AccessSample) keep(status int) bool {
	if s == nil || s.all || status >= 400 {
		return true
	}
	k := s.n.Add(1) - 1
	return k*s.p < s.p
}

// accessLog writes the access log line of one response. path never holds
// the query: it carries signatures and tokens.
func accessLog(ctx context.Context, log *slog.Logger, id, method, host, path, route string, status int, bytes int64, elapsed time.Duration, remote string) {
	log.LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("request_id", id),
		slog.String("method", method),
		slog.String("host", host),
		slog.String("path", path),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("bytes", bytes),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.String("remote", remote),
	)
}
