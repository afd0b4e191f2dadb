package cors

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Methods, request headers and exposed headers of read endpoints (bucket
// delivery, signed links). An endpoint that takes writes (presigned PUTs)
// makes an Endpoint of its own with its methods and headers.
var (
	ReadMethods = []string{http.MethodGet, http.MethodHead}
	// ReadRequestHeaders are the request headers a preflight may ask for
	// on a read: ranges and validators (players seek with Range and
	// revalidate with If-None-Match), and headers that fetch() callers
	// commonly set.
	ReadRequestHeaders = []string{
		"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range",
		"Accept", "Accept-Language", "Content-Language", "Content-Type", "Authorization", "Cache-Control",
	}
	// MediaExposeHeaders are the response headers a player's script needs
	// to read beyond the CORS-safelisted ones: hls.js and dash.js read
	// Content-Range and Content-Length of byte ranges, and ETag.
	MediaExposeHeaders = []string{"Content-Range", "Content-Length", "Accept-Ranges", "ETag"}
)

// Header names of CORS.
const (
	headerAllowOrigin      = "Access-Control-Allow-Origin"
	headerAllowCredentials = "Access-Control-Allow-Credentials"
	headerAllowMethods     = "Access-Control-Allow-Methods"
	headerAllowHeaders     = "Access-Control-Allow-Headers"
	headerMaxAge           = "Access-Control-Max-Age"
	headerExposeHeaders    = "Access-Control-Expose-Headers"
	headerRequestMethod    = "Access-Control-Request-Method"
	headerRequestHeaders   = "Access-Control-Request-Headers"
)

// granting are the headers a grant writes; Actual and Preflight replace
// any of them already set.
var granting = []string{headerAllowOrigin, headerAllowCredentials, headerAllowMethods,
	headerAllowHeaders, headerMaxAge, headerExposeHeaders}

// Endpoint is what cross-origin requests may do on one kind of endpoint:
// its methods, the request headers a preflight may ask for, and the
// response headers scripts may read. A Rule says who may do it. An
// Endpoint is read-only once made, and shared by every request.
type Endpoint struct {
	methods        []string
	allowMethods   string
	requestHeaders map[string]string // lower case -> name as answered
	expose         string
}

// NewEndpoint makes an Endpoint. Every name must be an HTTP token: they are
// the only text, besides a rule's origins, that its answers carry.
func NewEndpoint(methods, requestHeaders, exposeHeaders []string) *Endpoint {
	e := &Endpoint{
		methods:        append([]string(nil), methods...),
		allowMethods:   strings.Join(methods, ", "),
		requestHeaders: make(map[string]string, len(requestHeaders)),
		expose:         strings.Join(exposeHeaders, ", "),
	}
	for _, list := range [][]string{methods, requestHeaders, exposeHeaders} {
		for _, name := range list {
			if !isToken(name) {
				panic("cors: " + strconv.Quote(name) + " is not an HTTP token")
			}
		}
	}
	for _, name := range requestHeaders {
		e.requestHeaders[strings.ToLower(name)] = name
	}
	return e
}

// IsPreflight reports whether r is a CORS preflight: an OPTIONS request
// with Origin and Access-Control-Request-Method. Any other OPTIONS request
// is an ordinary one, answered as the endpoint answers unknown methods.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get(headerRequestMethod) != ""
}

// Actual writes into h the CORS headers of the answer to r, an actual
// (not preflight) request for a resource with rule, and reports whether
// it granted r's origin. A nil rule writes nothing: the resource has no
// CORS, and headers already in h (an HTTP origin's own) stay as they are.
//
// With a rule, Vary: Origin goes on every answer, granted or not, and
// any CORS headers already in h are replaced: the gateway's rule wins
// over an upstream's, and calling Actual again (once before a refusal may
// be written, once more when the origin's answer goes out) is harmless.
// Writing it before any check means refusals carry it too, so a player's
// script can read why it was refused.
func (e *Endpoint) Actual(h http.Header, rule *Rule, r *http.Request) bool {
	if rule == nil {
		return false
	}
	for _, k := range granting {
		h.Del(k)
	}
	addVary(h, "Origin")
	allowed := rule.allows(requestOrigin(r))
	if allowed == "" {
		return false
	}
	h.Set(headerAllowOrigin, allowed)
	if rule.AllowCredentials {
		h.Set(headerAllowCredentials, "true")
	}
	if e.expose != "" {
		h.Set(headerExposeHeaders, e.expose)
	}
	return true
}

// Preflight answers r, a preflight (see IsPreflight) for a resource with
// rule, without any other check: a preflight carries no credentials, and
// the actual request meets every check of the endpoint.
//
// A preflight whose origin and method are allowed is answered here: 204
// with the origin, the endpoint's methods, those requested headers the
// endpoint accepts (a browser whose request needs more refuses it
// itself, naming the header), and Access-Control-Max-Age. Any other is
// refused as S3 refuses it: the *Error returned (403 CodeNotAllowed) is
// for the caller's error writer, and the answer grants nothing.
func (e *Endpoint) Preflight(w http.ResponseWriter, r *http.Request, rule *Rule) error {
	h := w.Header()
	for _, k := range granting {
		h.Del(k)
	}
	addVary(h, "Origin")
	addVary(h, headerRequestMethod)
	addVary(h, headerRequestHeaders)
	if rule == nil {
		return notAllowed("CORS is not enabled for this resource")
	}
	allowed := rule.allows(requestOrigin(r))
	if allowed == "" || !e.allowsMethod(r.Header.Get(headerRequestMethod)) {
		return notAllowed("this CORS request is not allowed: its origin or method is not in the CORS rule")
	}
	h.Set(headerAllowOrigin, allowed)
	if rule.AllowCredentials {
		h.Set(headerAllowCredentials, "true")
	}
	h.Set(headerAllowMethods, e.allowMethods)
	if names := e.acceptedHeaders(r.Header.Values(headerRequestHeaders)); names != "" {
		h.Set(headerAllowHeaders, names)
	}
	maxAge := DefaultMaxAge
	if rule.MaxAge != nil {
		maxAge = *rule.MaxAge
	}
	h.Set(headerMaxAge, strconv.Itoa(maxAge))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requestOrigin is r's Origin, or "" when it sends none or several.
func requestOrigin(r *http.Request) string {
	if vs := r.Header.Values("Origin"); len(vs) == 1 {
		return vs[0]
	}
	return ""
}

// allowsMethod compares exactly: methods are case-sensitive, and browsers
// send the standard ones in upper case.
func (e *Endpoint) allowsMethod(m string) bool {
	return slices.Contains(e.methods, m)
}

// acceptedHeaders is the comma-separated list of the requested header
// names the endpoint accepts, in the order asked, each once, spelt as the
// endpoint spells it: nothing of the request is echoed.
func (e *Endpoint) acceptedHeaders(requested []string) string {
	var out []string
	for _, line := range requested {
		for name := range strings.SplitSeq(line, ",") {
			canon, ok := e.requestHeaders[strings.ToLower(strings.Trim(name, " \t"))]
			if ok && !slices.Contains(out, canon) {
				out = append(out, canon)
			}
		}
	}
	return strings.Join(out, ", ")
}

// addVary adds name to Vary unless a Vary field lists it or "*" already.
func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for item := range strings.SplitSeq(v, ",") {
			item = strings.Trim(item, " \t")
			if item == "*" || strings.EqualFold(item, name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}

// isToken reports whether s is an HTTP token (RFC 9110 §5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
