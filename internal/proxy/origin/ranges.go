package origin

import (
	"math"
	"strconv"
	"strings"
)

// normalizeRange rewrites a Range header for an object of size bytes into
// one that http.ServeContent answers as RFC 9110 says. keep is false when
// the header is to be ignored (the object is then served whole).
//
// ServeContent alone gets a few requests wrong: a suffix of zero bytes
// ("bytes=-0") or any suffix of an empty object is answered 206 with the
// impossible Content-Range "bytes 13-12/13" (or "bytes 0--1/0"); an
// unsatisfiable range next to a good one ("bytes=0-0,-0") adds an empty
// part; a last position too large for int64 is refused although it only
// means "to the end"; and refusals of a malformed header carry no
// Content-Range. So each range is resolved here against the size, the
// unsatisfiable ones are dropped, and what ServeContent sees is either
// plain "first-last" pairs inside the object or, when none is left,
// "bytes=<size>-", which it answers 416 with "Content-Range: bytes
// */<size>". A malformed range is answered the same way (RFC 9110 allows
// refusing it); a set naming no range at all ("bytes=") is ignored. Other units than bytes are ignored, as RFC 9110
// requires. An empty object is served whole (200) for any range, as
// ServeContent itself does for "bytes=0-": clients that put a Range on
// every request must not fail on empty files.
func normalizeRange(header string, size int64) (out string, keep bool) {
	unit, set, ok := strings.Cut(header, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return "", false
	}
	if size <= 0 {
		return "", false
	}
	var b strings.Builder
	b.WriteString("bytes=")
	n, valid := 0, false
	for spec := range strings.SplitSeq(set, ",") {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue // RFC 9110 list syntax allows empty elements
		}
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return unsatisfiable(size), true
		}
		first, last = strings.Trim(first, " \t"), strings.Trim(last, " \t")
		var start, end int64
		switch {
		case first == "":
			suffix, ok := digits(last)
			if !ok {
				return unsatisfiable(size), true
			}
			valid = true
			if suffix == 0 {
				continue // "-0": no byte at all
			}
			start, end = max(size-suffix, 0), size-1
		default:
			var ok bool
			if start, ok = digits(first); !ok {
				return unsatisfiable(size), true
			}
			end = math.MaxInt64
			if last != "" {
				if end, ok = digits(last); !ok || end < start {
					return unsatisfiable(size), true
				}
			}
			valid = true
			if start >= size {
				continue
			}
			end = min(end, size-1)
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(start, 10))
		b.WriteByte('-')
		b.WriteString(strconv.FormatInt(end, 10))
		n++
	}
	if !valid {
		return "", false // "bytes=" names no range: ignored, as ServeContent does
	}
	if n == 0 {
		return unsatisfiable(size), true
	}
	return b.String(), true
}

// unsatisfiable starts past the end: ServeContent answers it 416 with
// Content-Range: bytes */size.
func unsatisfiable(size int64) string {
	return "bytes=" + strconv.FormatInt(size, 10) + "-"
}

// digits parses 1*DIGIT, saturating at MaxInt64: a position beyond any
// object is still a position.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxInt64-int64(c-'0'))/10 {
			v = math.MaxInt64
			continue
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
