package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/verify/token"
)

// answerWriter adjusts the headers of a bucket's answer just before they
// are sent, whatever the origin wrote: Cache-Control (so that no shared
// cache hands one viewer's authorised answer to another, and a public
// bucket's own setting), the playlist cookie, and the bucket's CORS
// headers over any an HTTP origin sent. It keeps the interfaces streaming
// relies on (ReaderFrom for sendfile, Flush, and Unwrap for
// http.ResponseController).
type answerWriter struct {
	http.ResponseWriter
	// authorised: the answer was opened by a token. cacheControl is then
	// its Cache-Control unless the origin's is stricter already; on a
	// public bucket's answer it replaces the origin's on success (2xx
	// and 304; an error is not worth keeping for the bucket's max-age).
	authorised   bool
	cacheControl string
	cookie       *http.Cookie
	// noStore marks an answer that embeds the token (a rewritten playlist).
	noStore bool
	// cors is the bucket's rule, applied for request.
	cors    *cors.Rule
	request *http.Request
	sent    bool
}

func (w *answerWriter) WriteHeader(code int) {
	if !w.sent && code >= 200 {
		w.sent = true
		h := w.Header()
		switch {
		case w.noStore:
			h.Set("Cache-Control", noStore)
		case w.authorised:
			if !strict(h.Get("Cache-Control")) {
				h.Set("Cache-Control", w.cacheControl)
			}
		case w.cacheControl != "" && (code/100 == 2 || code == http.StatusNotModified):
			h.Set("Cache-Control", w.cacheControl)
		}
		if w.cookie != nil && code < 400 {
			h.Add("Set-Cookie", w.cookie.String())
		}
		if w.cors != nil {
			corsEndpoint.Actual(h, w.cors, w.request)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) Write(p []byte) (int, error) {
	if !w.sent {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *answerWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.sent {
		w.WriteHeader(http.StatusOK)
	}
	return io.Copy(w.ResponseWriter, src)
}

func (w *answerWriter) Flush() {
	if !w.sent {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// strict reports whether an origin's Cache-Control already keeps shared
// caches out, in which case it is left as the origin wrote it.
func strict(cc string) bool {
	for _, d := range strings.Split(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "no-store" || d == "private" || strings.HasPrefix(d, "private=") {
			return true
		}
	}
	return false
}

// cookie makes the cookie that lets a playlist's segments, requested
// without ?auth=, carry the token. Its Path is the token's scope in the URL
// space the browser sees, so it is sent exactly where the token is valid;
// it lives until the token's exp. It returns nil when no cookie can say
// that faithfully.
//
// Over HTTPS (overTLS, or a public URL that is https) it is SameSite=None
// and Secure, so that a player on another site (a page of the customer's,
// a native HLS player) still sends it with segment requests; over plain
// HTTP it stays SameSite=Lax, for browsers drop SameSite=None cookies
// that are not Secure. It opens only reads of the token's scope, so
// being sent on cross-site requests gives a page nothing it could change.
func (h *Handler) cookie(c *token.Claims, tok, urlPrefix string, now time.Time, overTLS bool) *http.Cookie {
	if len(tok) > 3800 { // browsers keep cookies up to about 4 KiB
		return nil
	}
	p := urlPrefix
	if scope := strings.Trim(c.URI, "/"); scope != "" {
		p += (&url.URL{Path: "/" + scope}).EscapedPath()
	}
	if p == "" {
		p = "/"
	}
	// net/http would silently drop these bytes, widening or breaking the
	// path; better no cookie than a wrong one.
	if strings.ContainsAny(p, "; \"") {
		return nil
	}
	ck := &http.Cookie{
		Name:     CookieName,
		Value:    tok,
		Path:     p,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	if h.SecureCookie || overTLS {
		ck.Secure, ck.SameSite = true, http.SameSiteNoneMode
	}
	if !c.ExpiresAt.IsZero() {
		left := c.ExpiresAt.Sub(now)
		if left < time.Second {
			return nil
		}
		ck.MaxAge = int(left / time.Second)
	}
	return ck
}

// servePlaylist fetches a whole .m3u8 from the origin and answers it with
// relative child URIs carrying the token. The rewritten body differs per
// token, so validators and ranges of the original do not apply to it: the
// origin is asked for the full, unencoded body, and the answer is no-store.
// A playlist larger than MaxPlaylistBytes, or not a plain 200, is passed on
// as the origin sent it.
func (h *Handler) servePlaylist(w *answerWriter, r *http.Request, origin http.Handler, tok string) {
	head := r.Method == http.MethodHead
	r.Method = http.MethodGet
	for _, k := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Accept-Encoding"} {
		r.Header.Del(k)
	}
	bw := &bufferWriter{out: w, header: http.Header{}, max: h.MaxPlaylistBytes}
	origin.ServeHTTP(bw, r)
	if bw.passing {
		return
	}
	enc := bw.header.Get("Content-Encoding")
	if bw.status != http.StatusOK || (enc != "" && enc != "identity") {
		bw.pass()
		return
	}
	body := h.Rewrite(bw.buf.Bytes(), tok)
	dst := w.Header()
	for k, vs := range bw.header {
		dst[k] = vs
	}
	for _, k := range []string{"Content-Length", "ETag", "Last-Modified", "Accept-Ranges", "Content-Range"} {
		dst.Del(k)
	}
	dst.Set("Content-Length", strconv.Itoa(len(body)))
	w.noStore = true
	w.WriteHeader(http.StatusOK)
	if !head {
		_, _ = w.Write(body)
	}
}

// bufferWriter holds an origin's answer in memory up to max bytes, and
// turns into a pass-through when the answer is larger.
type bufferWriter struct {
	out     *answerWriter
	header  http.Header
	status  int
	buf     bytes.Buffer
	max     int64
	passing bool
}

func (b *bufferWriter) Header() http.Header {
	if b.passing {
		return b.out.Header()
	}
	return b.header
}

func (b *bufferWriter) WriteHeader(code int) {
	if b.passing {
		b.out.WriteHeader(code)
		return
	}
	if b.status == 0 && code >= 200 {
		b.status = code
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.passing {
		return b.out.Write(p)
	}
	if int64(b.buf.Len()+len(p)) > b.max {
		b.pass()
		return b.out.Write(p)
	}
	return b.buf.Write(p)
}

// pass sends what was held and lets the rest through unchanged.
func (b *bufferWriter) pass() {
	if b.passing {
		return
	}
	b.passing = true
	dst := b.out.Header()
	for k, vs := range b.header {
		dst[k] = vs
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.out.WriteHeader(b.status)
	if b.buf.Len() > 0 {
		_, _ = b.out.Write(b.buf.Bytes())
	}
}
