package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// amzDateLayout is X-Amz-Date's format, ISO 8601 basic in UTC.
const amzDateLayout = "20060102T150405Z"

// Request is what the check reads of an HTTP request. For a server request
// r: Method r.Method, Host r.Host, EscapedPath r.URL.EscapedPath(),
// RawQuery r.URL.RawQuery, Header r.Header.
type Request struct {
	Method      string
	Host        string      // the Host header as received (r.Host)
	EscapedPath string      // r.URL.EscapedPath(): the path as sent, still encoded
	RawQuery    string      // r.URL.RawQuery
	Header      http.Header // only read
}

// CanonicalRequest is SigV4's canonical form of req for the given signed
// headers and payload hash; presigned leaves X-Amz-Signature out of the
// query. The rules are S3's:
//
//   - the path is split at '/', each segment decoded once and encoded again
//     with only A-Z a-z 0-9 - _ . ~ left as they are (S3 does not encode
//     twice, unlike the other AWS services); so "$" and "%24" sign alike;
//   - every query parameter is decoded and encoded the same way, then
//     sorted by name and value; a parameter without '=' has an empty value.
//     A '+' in the raw query is a space, as every form decoder (and so the
//     endpoint reading r.URL.Query()) reads it: the signature covers the
//     value the gateway acts on. SDKs send a literal plus as %2B;
//   - each signed header is "name:value", the value trimmed, inner runs of
//     spaces folded to one, repeated headers joined with ','. host is the
//     Host as received: behind a proxy, the forwarded host must be restored
//     deliberately or signatures fail.
func CanonicalRequest(req *Request, signedHeaders []string, payloadHash string, presigned bool) string {
	s := getScratch()
	defer putScratch(s)
	s.cr = appendCanonicalRequest(s.cr[:0], s, req, signedHeaders, payloadHash, presigned)
	return string(s.cr)
}

// StringToSign is SigV4's string to sign: the algorithm, the request time,
// the credential scope (yyyymmdd/region/s3/aws4_request) and the hex
// SHA-256 of the canonical request.
func StringToSign(t time.Time, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	b := appendStringToSign(nil, t, scope, sum)
	return string(b)
}

func appendStringToSign(dst []byte, t time.Time, scope string, crHash [32]byte) []byte {
	dst = appendAlgorithmAndTime(dst, Algorithm, t)
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	return hex.AppendEncode(dst, crHash[:])
}

// appendAlgorithmAndTime appends the first two lines of a string to sign.
func appendAlgorithmAndTime(dst []byte, algorithm string, t time.Time) []byte {
	dst = append(dst, algorithm...)
	dst = append(dst, '\n')
	dst = t.UTC().AppendFormat(dst, amzDateLayout)
	return append(dst, '\n')
}

// appendScope appends date/region/service/aws4_request.
func appendScope(dst []byte, c Credential) []byte {
	dst = append(dst, c.Date...)
	dst = append(dst, '/')
	dst = append(dst, c.Region...)
	dst = append(dst, '/')
	dst = append(dst, c.Service...)
	return append(dst, "/aws4_request"...)
}

// scratch holds the buffers of one check, pooled so that a verification
// allocates nothing for its canonical request or string to sign.
type scratch struct {
	cr    []byte // canonical request
	sts   []byte // HMAC inner block: key^ipad, then the string to sign
	tmp   []byte // encoded query components
	pairs []queryPair
}

// queryPair locates an encoded name and value in scratch.tmp.
type queryPair struct{ ns, ne, vs, ve int }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch returns s to the pool unless a huge request grew it: the pool
// must not pin megabytes for the sake of one odd request.
func putScratch(s *scratch) {
	const keep = 64 << 10
	if cap(s.cr) > keep || cap(s.sts) > keep || cap(s.tmp) > keep || cap(s.pairs) > 1024 {
		return
	}
	scratchPool.Put(s)
}

func appendCanonicalRequest(dst []byte, s *scratch, req *Request, signedHeaders []string, payloadHash string, presigned bool) []byte {
	dst = append(dst, req.Method...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, req.EscapedPath)
	dst = append(dst, '\n')
	dst = appendCanonicalQuery(dst, s, req.RawQuery, presigned)
	dst = append(dst, '\n')
	for _, name := range signedHeaders {
		dst = append(dst, name...)
		dst = append(dst, ':')
		if name == "host" {
			dst = appendHeaderValue(dst, req.Host)
		} else {
			for i, v := range headerValues(req.Header, name) {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendHeaderValue(dst, v)
			}
		}
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	for i, name := range signedHeaders {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, name...)
	}
	dst = append(dst, '\n')
	return append(dst, payloadHash...)
}

func appendCanonicalURI(dst []byte, path string) []byte {
	if path == "" {
		return append(dst, '/')
	}
	for {
		seg, rest, more := strings.Cut(path, "/")
		dst = appendEncoded(dst, seg, false)
		if !more {
			return dst
		}
		dst = append(dst, '/')
		path = rest
	}
}

func appendCanonicalQuery(dst []byte, s *scratch, rawQuery string, presigned bool) []byte {
	tmp, pairs := s.tmp[:0], s.pairs[:0]
	for rawQuery != "" {
		var piece string
		piece, rawQuery, _ = strings.Cut(rawQuery, "&")
		if piece == "" {
			continue
		}
		name, value, _ := strings.Cut(piece, "=")
		var p queryPair
		p.ns = len(tmp)
		tmp = appendEncoded(tmp, name, true)
		p.ne = len(tmp)
		// The signature cannot sign itself; the name's encoded form is
		// its decoded form, so a disguised X-Amz-Signature is caught too.
		if presigned && string(tmp[p.ns:p.ne]) == "X-Amz-Signature" {
			tmp = tmp[:p.ns]
			continue
		}
		p.vs = len(tmp)
		tmp = appendEncoded(tmp, value, true)
		p.ve = len(tmp)
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := bytes.Compare(tmp[a.ns:a.ne], tmp[b.ns:b.ne]); c != 0 {
			return c
		}
		return bytes.Compare(tmp[a.vs:a.ve], tmp[b.vs:b.ve])
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, tmp[p.ns:p.ne]...)
		dst = append(dst, '=')
		dst = append(dst, tmp[p.vs:p.ve]...)
	}
	s.tmp, s.pairs = tmp, pairs
	return dst
}

// unreserved are the bytes SigV4 never encodes (RFC 3986's unreserved set).
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEncoded decodes s once (a '+' is a space when plusIsSpace) and
// appends it encoded as SigV4 wants, in one pass. A '%' not followed by two
// hex digits stands for itself; Parse refuses such a query, and Go's server
// such a path, before this matters.
func appendEncoded(dst []byte, s string, plusIsSpace bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		case c == '+' && plusIsSpace:
			c = ' '
		}
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// EscapePath encodes an object path (/bucket/key, not encoded yet) as the S3
// SDKs put it in URLs: each segment with SigV4's rule, '/' kept.
func EscapePath(path string) string {
	var b []byte
	for {
		seg, rest, more := strings.Cut(path, "/")
		b = append(b, awsEncode(seg)...)
		if !more {
			return string(b)
		}
		b = append(b, '/')
		path = rest
	}
}

// awsEncode is appendEncoded for a value that is not encoded yet.
func awsEncode(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// appendHeaderValue appends v trimmed, with inner runs of spaces folded to
// one, as the AWS SDKs canonicalize header values.
func appendHeaderValue(dst []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		dst = append(dst, v[i])
	}
	return dst
}

// headerValues returns the values of the header named lower (lower-case),
// without allocating for the canonical key net/http stores headers under.
func headerValues(h http.Header, lower string) []string {
	var kb [64]byte
	if len(lower) <= len(kb) {
		k := kb[:len(lower)]
		upper := true
		for i := 0; i < len(lower); i++ {
			c := lower[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(k)]; ok {
			return v
		}
	}
	// A map not built by net/http may hold the name in another case.
	for k, v := range h {
		if strings.EqualFold(k, lower) {
			return v
		}
	}
	return nil
}
