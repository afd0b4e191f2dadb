package fastlane

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"
)

// Request is a GET or HEAD request the lane parsed in full. It has no body:
// requests that carry one, or could, are never the lane's.
type Request struct {
	Method   string // "GET" or "HEAD"
	Target   string // the request-target as sent: path, then "?" and the raw query
	Path     string // Target up to "?"; plain (no percent-escapes)
	RawQuery string // Target after "?", not decoded
	Host     string
	// RequestID is the X-Request-Id header as sent, "" when absent.
	RequestID string
	// Close is set when the client asked to close the connection.
	Close bool
	// RemoteAddr is the client's address, as net/http's Request.RemoteAddr.
	RemoteAddr string
	// Time is when the lane had read the request: the clock a handler may
	// read instead of its own, and the answer's Date.
	Time time.Time
}

// parseResult says what parse made of the bytes it was given.
type parseResult int

const (
	// incomplete: the header block has not ended yet; read more.
	incomplete parseResult = iota
	// complete: a request the lane may answer.
	complete
	// other: anything else (another method or version, a body, an
	// unusual header, a malformed request); net/http reads it instead and
	// gives it its full treatment, errors included.
	other
)

var crlfcrlf = []byte("\r\n\r\n")

// parse reads one request from the head of buf. On complete, n is the
// length of its header block. It accepts a strict subset of HTTP/1.1:
// anything it is not sure about is other, never an error of its own, so
// the lane can only ever answer a request exactly as net/http would see it.
func parse(buf []byte, req *Request) (n int, res parseResult) {
	end := bytes.Index(buf, crlfcrlf)
	if end < 0 {
		// A bare LF anywhere means net/http's lenient reading, not ours.
		if bytes.IndexByte(buf, '\n') >= 0 && !crlfOnly(buf) {
			return 0, other
		}
		return 0, incomplete
	}
	head := buf[:end+2] // every line, each with its CRLF
	n = end + 4

	line, rest, ok := cutLine(head)
	if !ok {
		return 0, other
	}
	var method string
	switch {
	case bytes.HasPrefix(line, []byte("GET ")):
		method, line = "GET", line[4:]
	case bytes.HasPrefix(line, []byte("HEAD ")):
		method, line = "HEAD", line[5:]
	default:
		return 0, other
	}
	target, ok := bytes.CutSuffix(line, []byte(" HTTP/1.1"))
	if !ok || !plainTarget(target) {
		return 0, other
	}

	var host, requestID []byte
	hosts := 0
	closeConn := false
	for len(rest) > 0 {
		line, rest, ok = cutLine(rest)
		if !ok {
			return 0, other
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !token(name) {
			return 0, other
		}
		value = bytes.Trim(value, " \t")
		if !fieldValue(value) {
			return 0, other
		}
		switch {
		case equalFold(name, "host"):
			hosts++
			host = value
		case equalFold(name, "x-request-id"):
			if requestID != nil {
				return 0, other
			}
			requestID = value
		case equalFold(name, "connection"):
			switch {
			case equalFold(value, "close"):
				closeConn = true
			case equalFold(value, "keep-alive"):
			default:
				return 0, other // upgrades and hop-by-hop lists
			}
		case equalFold(name, "content-length"):
			if string(value) != "0" {
				return 0, other
			}
		case equalFold(name, "transfer-encoding"), equalFold(name, "expect"),
			equalFold(name, "upgrade"), equalFold(name, "trailer"):
			return 0, other
		case equalFold(name, "origin"):
			// A cross-origin request: its answer's CORS headers depend on
			// the rule of what it asks for, which only the full path
			// applies.
			return 0, other
		}
	}
	if hosts != 1 || !validHost(host) {
		return 0, other
	}
	req.Method = method
	// A connection reuses its Request, and a client asking for the same
	// link again sends the same bytes: keep the strings it already has
	// (comparing allocates nothing), so that a repeated request allocates
	// nothing either.
	if string(target) != req.Target {
		req.Target = string(target)
	}
	req.Path, req.RawQuery = req.Target, ""
	if i := strings.IndexByte(req.Target, '?'); i >= 0 {
		req.Path, req.RawQuery = req.Target[:i], req.Target[i+1:]
	}
	if string(host) != req.Host {
		req.Host = string(host)
	}
	switch {
	case requestID == nil:
		req.RequestID = ""
	case string(requestID) != req.RequestID:
		req.RequestID = string(requestID)
	}
	req.Close = closeConn
	return n, complete
}

// cutLine splits off the first CRLF-ended line.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	return b[:i-1], b[i+1:], true
}

// crlfOnly reports whether every LF in b ends a CRLF.
func crlfOnly(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return false
		}
	}
	return true
}

// plainTarget accepts an origin-form target whose path needs no decoding
// and no cleaning: it starts with "/", has no percent-escape, no "//", no
// dot segment and no fragment, and only visible ASCII throughout. Anything
// else goes to net/http, which decodes, cleans or redirects it.
func plainTarget(t []byte) bool {
	if len(t) == 0 || t[0] != '/' {
		return false
	}
	path := t
	if i := bytes.IndexByte(t, '?'); i >= 0 {
		path = t[:i]
	}
	if !visibleNoHash(t) {
		return false
	}
	if bytes.IndexByte(path, '%') >= 0 || bytes.Contains(path, []byte("//")) {
		return false
	}
	for seg := range bytes.SplitSeq(path[1:], []byte("/")) {
		if string(seg) == "." || string(seg) == ".." {
			return false
		}
	}
	return true
}

// visibleNoHash reports whether b is all visible ASCII (0x21 to 0x7e) with
// no '#'. It looks at eight bytes at a time: a link's target is hundreds
// of bytes long.
func visibleNoHash(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		// A byte with its high bit set; a byte below 0x21 (adding 0x5f
		// leaves its high bit clear); a 0x7f or a '#' (the byte XOR the
		// value is zero: (y-1) &^ y has the high bit of each zero byte).
		del, hash := x^0x7f7f7f7f7f7f7f7f, x^0x2323232323232323
		bad := x | ^(x + 0x5f5f5f5f5f5f5f5f) |
			(del-ones)&^del | (hash-ones)&^hash
		if bad&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// token reports whether b is an RFC 9110 token (a field name).
func token[T string | []byte](b T) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; c >= 0x80 || !tokenChars[c] {
			return false
		}
	}
	return true
}

var tokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// fieldValue accepts visible ASCII, spaces and tabs: no control bytes and,
// to stay on the safe side, nothing beyond ASCII.
func fieldValue[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if c := b[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// validHost accepts a host name or IPv4 address with an optional port, or
// a bracketed IPv6 address with one: what a link points at.
func validHost(h []byte) bool {
	if len(h) == 0 || len(h) > 255 {
		return false
	}
	for _, c := range h {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// equalFold compares ASCII b with lower-case s, ignoring b's case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
