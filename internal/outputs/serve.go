package outputs

import (
	"errors"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/server"
)

// Error codes of refused output requests.
const (
	CodeInvalidSignature = "INVALID_SIGNATURE"
	CodeExpired          = "EXPIRED"
)

// Handler serves GET and HEAD /outputs/{id}/{name}. The signature is
// checked before anything is read from the backend, so unsigned requests
// cannot probe which ids exist.
func (s *Store) Handler() http.Handler {
	return server.HandlerFunc(s.serve)
}

// An output URL is a capability of its own, signed and expiring, read
// without cookies: any page that holds one may read it, as anyone who
// holds it may download it. So outputs grant every origin, without
// credentials, and a conversion link fetched with fetch() from a page of
// another origin (its base allowing that origin) can follow its redirect
// here.
var (
	corsEndpoint = cors.NewEndpoint(cors.ReadMethods, cors.ReadRequestHeaders,
		append([]string{"Content-Disposition"}, cors.MediaExposeHeaders...))
	anyOrigin = &cors.Rule{AllowedOrigins: []string{cors.Wildcard}}
)

// PreflightHandler answers CORS preflights for OPTIONS
// /outputs/{id}/{name} (a fetch() with a Range header, or one redirected
// here after a preflight of its own); any other OPTIONS request is 405.
func (s *Store) PreflightHandler() http.Handler {
	return server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if !cors.IsPreflight(r) {
			return server.Errorf(http.StatusMethodNotAllowed, server.CodeMethodNotAllowed,
				"method OPTIONS is allowed on outputs for CORS preflights only").WithHeader("Allow", "GET, HEAD")
		}
		return corsEndpoint.Preflight(w, r, anyOrigin)
	})
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) error {
	corsEndpoint.Actual(w.Header(), anyOrigin, r)
	id, name := r.PathValue("id"), r.PathValue("name")
	q := r.URL.Query()
	exp, sig := q.Get("expires"), q.Get("sig")
	if exp == "" || sig == "" {
		return server.Errorf(http.StatusForbidden, CodeInvalidSignature, "the output URL is not signed")
	}
	if !s.verify(r.Context(), id, name, exp, sig) {
		return server.Errorf(http.StatusForbidden, CodeInvalidSignature, "the output URL's signature is not valid")
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return server.Errorf(http.StatusForbidden, CodeInvalidSignature, "the output URL's expiry is not valid")
	}
	if !s.cfg.Now().Before(time.Unix(unix, 0)) {
		return server.Errorf(http.StatusGone, CodeExpired, "the output URL has expired")
	}
	obj, err := s.cfg.Backend.Open(r.Context(), id, time.Unix(unix, 0))
	if errors.Is(err, ErrNotFound) {
		return server.Errorf(http.StatusGone, CodeExpired, "the output no longer exists")
	}
	if err != nil {
		return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
			"the output storage cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
	}
	defer obj.Close()
	h := w.Header()
	ct := obj.Meta.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", ContentDisposition(obj.Meta.Name, obj.Meta.Inline))
	h.Set("X-Content-Type-Options", "nosniff")
	// Outputs are user content on the gateway's origin: a converted HTML or
	// SVG file must not run script with the gateway's cookies or reach its
	// admin API from a browser.
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(max(0, unix-s.cfg.Now().Unix()), 10))
	http.ServeContent(w, r, "", obj.ModTime, obj)
	return nil
}

// ContentDisposition is the header for a file called name: inline, or an
// attachment with an ASCII filename= fallback and, for other names, the
// RFC 5987 filename*=UTF-8” form that RFC 6266 tells browsers to prefer.
func ContentDisposition(name string, inline bool) string {
	if inline {
		return "inline"
	}
	ascii := asciiFallback(name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + encodeRFC5987(name)
	}
	return v
}

// asciiFallback replaces what cannot appear in a quoted ASCII filename.
func asciiFallback(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('_')
		case r < 0x20 || r >= 0x7f:
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encodeRFC5987 percent-encodes everything but attr-char.
func encodeRFC5987(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(attrChar, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
	}
	return b.String()
}

// safeName keeps a stored name to one valid UTF-8 path element without
// control characters; the jobs have sanitised it already, this is the
// last line before a header.
func safeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." || !utf8.ValidString(name) {
		return "file"
	}
	return name
}

// contentType picks the type by extension; unknown types are downloads.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := extraTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// extraTypes do not depend on the machine's mime.types.
var extraTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp",
	".pdf": "application/pdf", ".zip": "application/zip", ".tar": "application/x-tar",
	".gz": "application/gzip", ".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
	".svg": "image/svg+xml", ".json": "application/json",
}
