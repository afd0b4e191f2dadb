package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The algorithm, the payload-hash literals and the bounds S3 applies.
const (
	Algorithm                = "AWS4-HMAC-SHA256"
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	StreamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	Service                  = "s3"
	MaxExpires               = 604800 * time.Second
	MaxSkew                  = 15 * time.Minute
)

// Credential is the X-Amz-Credential (or the Authorization header's
// Credential): whose key, and the scope it signed for. Date is yyyymmdd.
type Credential struct{ AccessKeyID, Date, Region, Service string }

// Auth is a request's parsed authentication, before any key is known.
type Auth struct {
	Presigned     bool
	Credential    Credential
	Time          time.Time     // X-Amz-Date (or the Date header for header auth when x-amz-date is absent)
	Expires       time.Duration // presigned only
	SignedHeaders []string
	Signature     []byte // decoded, 32 bytes
	// PayloadHash ends the canonical request: for a presigned URL its
	// X-Amz-Content-Sha256 parameter when present, else UNSIGNED-PAYLOAD;
	// for header authentication the x-amz-content-sha256 header (a hex
	// SHA-256 the endpoint checks with NewPayloadReader, UNSIGNED-PAYLOAD,
	// or a streaming form for NewChunkedReader).
	PayloadHash string

	sig   [32]byte  // backs Signature
	names [8]string // backs SignedHeaders when they are few, as they are
}

const presignedRequires = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."

// Parse reads the authentication of req, from the query (a presigned URL)
// or the Authorization header. It is cheap: no hashing, and only the
// syntax is checked; Verify checks scope, time and signature. ErrNoAuth
// when the request carries none (anonymous); a refusal otherwise.
func Parse(req *Request) (*Auth, error) {
	q, err := scanQuery(req.RawQuery)
	if err != nil {
		return nil, err
	}
	authz := req.Header["Authorization"]
	if len(authz) > 1 {
		return nil, headerError("more than one Authorization header")
	}
	switch {
	case len(authz) == 1 && (q.presigned() || q.sigV2):
		return nil, ErrTwoAuthMechanisms
	case q.sigV2:
		return nil, ErrUnsupportedMechanism
	case q.has&pToken != 0 || req.Header.Get("X-Amz-Security-Token") != "":
		return nil, ErrSecurityToken
	case q.presigned():
		return parseQueryAuth(&q)
	case len(authz) == 1:
		return parseHeaderAuth(req, authz[0])
	}
	return nil, ErrNoAuth
}

// The query parameters Parse looks for, as bits of queryAuth.has.
const (
	pAlgorithm = 1 << iota
	pCredential
	pSignature
	pDate
	pSignedHeaders
	pExpires
	pToken
	pContentSHA256
)

var presignedParams = []struct {
	bit  int
	name string
}{
	{pAlgorithm, "X-Amz-Algorithm"}, {pCredential, "X-Amz-Credential"}, {pSignature, "X-Amz-Signature"},
	{pDate, "X-Amz-Date"}, {pSignedHeaders, "X-Amz-SignedHeaders"}, {pExpires, "X-Amz-Expires"},
}

// queryAuth holds the raw (still encoded) values of the authentication
// parameters of a query.
type queryAuth struct {
	has                                                     int
	dup                                                     string
	sigV2                                                   bool
	algorithm, credential, signature, date, signed, expires string
	contentSHA256                                           string
}

func (q *queryAuth) presigned() bool { return q.has&(pAlgorithm|pCredential|pSignature) != 0 }

// scanQuery finds the authentication parameters and checks that the whole
// query decodes: the canonical query decodes every parameter, and a value
// that does not decode would be signed as one thing and read as another.
func scanQuery(raw string) (queryAuth, error) {
	var q queryAuth
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if !validEscapes(piece) {
			return q, ErrInvalidQuery
		}
		name, value, _ := strings.Cut(piece, "=")
		if strings.ContainsAny(name, "%+") {
			name, _ = url.QueryUnescape(name) // valid, checked above
		}
		var dst *string
		var bit int
		switch name {
		case "X-Amz-Algorithm":
			dst, bit = &q.algorithm, pAlgorithm
		case "X-Amz-Credential":
			dst, bit = &q.credential, pCredential
		case "X-Amz-Signature":
			dst, bit = &q.signature, pSignature
		case "X-Amz-Date":
			dst, bit = &q.date, pDate
		case "X-Amz-SignedHeaders":
			dst, bit = &q.signed, pSignedHeaders
		case "X-Amz-Expires":
			dst, bit = &q.expires, pExpires
		case "X-Amz-Content-Sha256":
			dst, bit = &q.contentSHA256, pContentSHA256
		case "X-Amz-Security-Token":
			q.has |= pToken
			continue
		case "AWSAccessKeyId":
			q.sigV2 = true
			continue
		default:
			continue
		}
		if q.has&bit != 0 && q.dup == "" {
			q.dup = name
		}
		q.has |= bit
		*dst = value
	}
	return q, nil
}

func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

// unescape decodes a query value, allocating only when it is encoded.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	v, _ := url.QueryUnescape(s) // escapes were checked by scanQuery
	return v
}

func parseQueryAuth(q *queryAuth) (*Auth, error) {
	var missing []string
	for _, p := range presignedParams {
		if q.has&p.bit == 0 {
			missing = append(missing, p.name)
		}
	}
	if missing != nil {
		return nil, queryError("%s Missing: %s.", presignedRequires, strings.Join(missing, ", "))
	}
	if q.dup != "" {
		return nil, queryError("%s must be given only once", q.dup)
	}
	if unescape(q.algorithm) != Algorithm {
		return nil, queryError("X-Amz-Algorithm only supports \"%s\"", Algorithm)
	}
	a := &Auth{Presigned: true, PayloadHash: UnsignedPayload}
	var ok bool
	if a.Credential, ok = parseCredential(unescape(q.credential)); !ok {
		return nil, queryError("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	if a.Time, ok = parseAmzDate(unescape(q.date)); !ok {
		return nil, queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	var err error
	if a.Expires, err = parseExpires(unescape(q.expires)); err != nil {
		return nil, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(a.names[:0], unescape(q.signed), true); err != nil {
		return nil, err
	}
	if !decodeSignature(unescape(q.signature), &a.sig) {
		return nil, queryError("X-Amz-Signature must be 64 hexadecimal digits")
	}
	a.Signature = a.sig[:]
	if q.has&pContentSHA256 != 0 {
		// What a presigner signed instead of UNSIGNED-PAYLOAD; a hex hash
		// binds the URL to one body, which the endpoint checks.
		a.PayloadHash = unescape(q.contentSHA256)
		if a.PayloadHash != UnsignedPayload && !isHexSHA256(a.PayloadHash) {
			return nil, queryError("X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a hex SHA-256 for a presigned URL")
		}
	}
	return a, nil
}

func parseHeaderAuth(req *Request, authz string) (*Auth, error) {
	rest, ok := strings.CutPrefix(authz, Algorithm)
	if !ok || rest != "" && rest[0] != ' ' {
		return nil, ErrUnsupportedMechanism
	}
	var cred, signed, sig string
	var seen int
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		var dst *string
		var bit int
		switch {
		case !ok:
			return nil, headerError("expecting Credential=..., SignedHeaders=..., Signature=... after %s", Algorithm)
		case k == "Credential":
			dst, bit = &cred, pCredential
		case k == "SignedHeaders":
			dst, bit = &signed, pSignedHeaders
		case k == "Signature":
			dst, bit = &sig, pSignature
		default:
			return nil, headerError("unexpected element before '='; expecting Credential, SignedHeaders or Signature")
		}
		if seen&bit != 0 {
			return nil, headerError("%s is given more than once", k)
		}
		seen |= bit
		*dst = v
	}
	if seen != pCredential|pSignedHeaders|pSignature {
		return nil, headerError("the Authorization header requires Credential, SignedHeaders and Signature")
	}
	a := &Auth{}
	if a.Credential, ok = parseCredential(cred); !ok {
		return nil, headerError("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	var err error
	if a.SignedHeaders, err = parseSignedHeaders(a.names[:0], signed, false); err != nil {
		return nil, err
	}
	if !decodeSignature(sig, &a.sig) {
		return nil, headerError("the Signature must be 64 hexadecimal digits")
	}
	a.Signature = a.sig[:]
	if v := req.Header.Get("X-Amz-Date"); v != "" {
		a.Time, ok = parseAmzDate(v)
	} else if v := req.Header.Get("Date"); v != "" {
		a.Time, err = http.ParseTime(v)
		a.Time, ok = a.Time.UTC(), err == nil
	} else {
		ok = false
	}
	if !ok {
		return nil, ErrMissingDate
	}
	switch a.PayloadHash = req.Header.Get("X-Amz-Content-Sha256"); a.PayloadHash {
	case "":
		return nil, ErrMissingContentSHA256
	case UnsignedPayload, StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
	default:
		if !isHexSHA256(a.PayloadHash) {
			return nil, ErrInvalidContentSHA256
		}
	}
	return a, nil
}

// parseCredential splits AKID/yyyymmdd/region/service/aws4_request.
func parseCredential(s string) (c Credential, ok bool) {
	var term string
	c.AccessKeyID, s, _ = strings.Cut(s, "/")
	c.Date, s, _ = strings.Cut(s, "/")
	c.Region, s, _ = strings.Cut(s, "/")
	c.Service, term, _ = strings.Cut(s, "/")
	ok = c.AccessKeyID != "" && len(c.Date) == 8 && allDigits(c.Date) && c.Region != "" && c.Service != "" &&
		term == "aws4_request"
	return c, ok
}

func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateLayout, s)
	return t, err == nil
}

// parseExpires reads X-Amz-Expires: whole seconds, 1 to 604800.
func parseExpires(s string) (time.Duration, error) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || !allDigits(digits) {
		return 0, queryError("X-Amz-Expires should be a number")
	}
	if digits != s {
		return 0, queryError("X-Amz-Expires must be non-negative")
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > 7 {
		return 0, ErrExpiresTooLong
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		n = n*10 + int64(digits[i]-'0')
	}
	switch d := time.Duration(n) * time.Second; {
	case d > MaxExpires:
		return 0, ErrExpiresTooLong
	case d < time.Second:
		return 0, queryError("X-Amz-Expires must be at least 1 second")
	default:
		return d, nil
	}
}

// parseSignedHeaders splits a;b;c into names. Names must be lower-case
// header names and include host: without host a signature could be
// replayed on any host that shares the key.
func parseSignedHeaders(names []string, s string, presigned bool) ([]string, error) {
	what := "SignedHeaders"
	if presigned {
		what = "X-Amz-SignedHeaders"
	}
	if s == "" {
		return nil, malformed(presigned, "%s must not be empty", what)
	}
	host := false
	for name := range strings.SplitSeq(s, ";") {
		if !validHeaderName(name) {
			return nil, malformed(presigned, "%s must be lower-case header names separated by ';'", what)
		}
		host = host || name == "host"
		names = append(names, name)
	}
	if !host {
		return nil, malformed(presigned, "%s must include host", what)
	}
	return names, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func decodeSignature(s string, dst *[32]byte) bool {
	if len(s) != 64 {
		return false
	}
	for i := range dst {
		if !isHex(s[2*i]) || !isHex(s[2*i+1]) {
			return false
		}
		dst[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return true
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
