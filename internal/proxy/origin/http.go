package origin

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/server"
)

// newTransport is the one upstream transport of a pool: a clone of the
// default transport with explicit timeouts. Compression stays off, so that
// byte ranges, lengths and ETags are the upstream's own and not those of a
// body the transport decompressed on the way.
func newTransport(o Options) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// A bucket's origin is a URL its admin chose; environment proxies are
	// not applied to it.
	t.Proxy = nil
	t.DialContext = (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = o.ResponseHeaderTimeout
	t.TLSHandshakeTimeout = o.TLSHandshakeTimeout
	t.IdleConnTimeout = o.IdleConnTimeout
	t.MaxIdleConnsPerHost = o.MaxIdleConnsPerHost
	t.DisableCompression = true
	return t
}

// httpOrigin proxies the objects of one upstream prefix.
type httpOrigin struct {
	target *url.URL
	proxy  *httputil.ReverseProxy
	// via is this instance's Via entry ("gateway-<id>"); empty: none.
	via string
}

var (
	_ http.Handler = (*httpOrigin)(nil)
	_ http.Handler = (*fileOrigin)(nil)
)

func newHTTPOrigin(origin string, rt http.RoundTripper, instanceID string) (http.Handler, error) {
	target, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("parse origin: %w", err)
	}
	if (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("origin %q is not an http(s) URL with a host", origin)
	}
	target.Path = strings.TrimRight(target.Path, "/")
	target.RawPath = strings.TrimRight(target.RawPath, "/")
	o := &httpOrigin{target: target, via: instanceID}
	o.proxy = &httputil.ReverseProxy{
		Rewrite:        o.rewrite,
		Transport:      rt,
		ModifyResponse: modifyResponse,
		ErrorHandler:   proxyError,
		BufferPool:     copyBuffers,
		// FlushInterval 0: ReverseProxy already flushes after every write
		// when the upstream's length is unknown (live or chunked bodies);
		// known-length bodies go out as the connection's buffer fills.
		FlushInterval: 0,
		// ErrorLog stays nil: the log package's default logger, which the
		// gateway points at its slog handler. ReverseProxy logs there only
		// copy errors after the headers went out, without the query.
	}
	return o, nil
}

func (o *httpOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Set here rather than on the upstream's answer, so that the
	// gateway's own refusals (502, 504) carry it too.
	setNoSniff(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, r, methodNotAllowed(r))
		return
	}
	if o.via != "" && passedThrough(r.Header, o.via) {
		writeError(w, r, loopDetected())
		return
	}
	o.proxy.ServeHTTP(w, r)
}

// CodeLoopDetected is the code of a request refused because it already
// passed through this gateway's proxy.
const CodeLoopDetected = "LOOP_DETECTED"

func loopDetected() *server.Error {
	return server.Errorf(http.StatusLoopDetected, CodeLoopDetected,
		"this request already passed through this gateway: the bucket's origin leads back to the gateway")
}

// passedThrough reports whether one of the Via entries of h was added by
// the instance named id. A client can forge one, but only to have its own
// request refused.
func passedThrough(h http.Header, id string) bool {
	for _, v := range h.Values("Via") {
		for entry := range strings.SplitSeq(v, ",") {
			// received-protocol SP received-by [ SP comment ]
			f := strings.Fields(entry)
			if len(f) >= 2 && f[1] == id {
				return true
			}
		}
	}
	return false
}

// viaEntry is what this instance adds to Via (RFC 9110, section 7.6.3):
// the protocol it received the request with, and its id as pseudonym.
func viaEntry(r *http.Request, id string) string {
	proto := fmt.Sprintf("%d.%d", r.ProtoMajor, r.ProtoMinor)
	if r.ProtoMajor >= 2 {
		proto = strconv.Itoa(r.ProtoMajor)
	}
	return proto + " " + id
}

// rewrite builds the upstream request: the origin's prefix followed by the
// object path, escaped segment by segment, with no query (the object path
// alone names the object, and the gateway's own parameters are not the
// upstream's), the upstream's Host, fresh X-Forwarded-* headers, and none
// of the gateway's credentials. Range and the conditional headers pass
// through unchanged; ReverseProxy drops the hop-by-hop ones.
func (o *httpOrigin) rewrite(pr *httputil.ProxyRequest) {
	objectPath := pr.In.URL.Path
	if !strings.HasPrefix(objectPath, "/") {
		objectPath = "/" + objectPath
	}
	u := *o.target
	u.Path = o.target.Path + objectPath
	u.RawPath = o.target.EscapedPath() + escapePath(objectPath)
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	pr.Out.URL = &u
	pr.Out.Host = ""
	pr.SetXForwarded()

	h := pr.Out.Header
	// The gateway's session cookie and any Authorization header belong to
	// the gateway; an origin must never see them.
	h.Del("Cookie")
	h.Del("Authorization")
	// Objects are read, never tunnelled: a protocol switch (WebSocket,
	// h2c) would make a public bucket a two-way pipe to its origin's
	// host. Without these, an upstream's 101 is refused by ReverseProxy.
	h.Del("Upgrade")
	h.Del("Connection")
	// Mark the request as having passed through this instance. If the
	// origin leads back to the gateway (its own address, a DNS name or a
	// custom domain of it, another instance leading back), the request
	// arrives again carrying the mark and is refused instead of looping
	// until sockets run out. The Via entries of earlier proxies are kept.
	if o.via != "" {
		h.Add("Via", viaEntry(pr.In, o.via))
	}
	// GET and HEAD carry no body upstream.
	pr.Out.Body = http.NoBody
	pr.Out.ContentLength = 0
	h.Del("Content-Length")
}

// escapePath escapes each segment of a decoded path, so that a "?" or "#"
// or "%" inside an object name stays part of the name upstream.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// modifyResponse makes an upstream's answer safe to serve from the
// gateway's domain.
func modifyResponse(res *http.Response) error {
	h := res.Header
	// A bucket origin must not set cookies on the gateway's (or a customer
	// domain's) host, nor ask the viewer for credentials the gateway does
	// not use.
	h.Del("Set-Cookie")
	h.Del("Set-Cookie2")
	h.Del("WWW-Authenticate")
	// The answer already carries the gateway's nosniff (see ServeHTTP);
	// the upstream's, whatever it says, would be a second value.
	h.Del("X-Content-Type-Options")
	// Object stores often label media as a generic binary; the extension
	// then says more.
	ct := h.Get("Content-Type")
	if ct == "" || isGenericBinary(ct) {
		if t := ContentType(res.Request.URL.Path); t != octetStream || ct == "" {
			h.Set("Content-Type", t)
		}
	}
	// The upstream's Content-Type decides: an HTML page or SVG it serves
	// is sandboxed like a file's.
	sandboxActive(h)
	return nil
}

func isGenericBinary(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/octet-stream" || mt == "binary/octet-stream"
}

// copyBuffers reuses ReverseProxy's copy buffers across responses.
var copyBuffers = &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}

type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte  { return *p.pool.Get().(*[]byte) }
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
