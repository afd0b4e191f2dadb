package s3api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/server"
)

// responseOverrides are the query parameters of GetObject that set a
// header of the answer, as S3 allows on signed requests (a presigned link
// that downloads under a chosen file name uses response-content-disposition).
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-disposition": "Content-Disposition",
	"response-content-language":    "Content-Language",
	"response-content-encoding":    "Content-Encoding",
	"response-cache-control":       "Cache-Control",
	"response-expires":             "Expires",
}

func noSuchKey() *server.Error {
	return s3Error(http.StatusNotFound, CodeNoSuchKey, "The specified key does not exist.")
}

// getObject answers GetObject and HeadObject through the bucket's origin,
// the handler bucket delivery reads it with: sendfile from a directory,
// ranged reads from S3, a streamed proxy of an HTTP upstream; Range and
// the conditional headers are answered there.
func (h *Handler) getObject(w http.ResponseWriter, r *http.Request, b bucket.Bucket, req request, c *caller) error {
	if !validKey(req.key) {
		return noSuchKey()
	}
	q := req.query
	overrides := http.Header{}
	for param, header := range responseOverrides {
		if v := q.Get(param); v != "" {
			if strings.ContainsAny(v, "\r\n") {
				return s3Error(http.StatusBadRequest, CodeInvalidArgument, "%s must not contain line breaks", param)
			}
			overrides.Set(header, v)
		}
	}
	origin, err := h.Origins.Handler(b)
	if err != nil {
		return server.WrapError(err, http.StatusServiceUnavailable, CodeServiceUnavailable, "the bucket's storage cannot be reached")
	}
	presigned := c.auth.Presigned
	xw := &xmlErrors{ResponseWriter: w, r: r, t: req.target, ew: errorWriter{debug: h.Debug}}
	xw.success = func(hd http.Header, status int) {
		switch {
		case !presigned:
			hd.Set("Cache-Control", "private")
		case h.CacheControl != "" && !strict(hd.Get("Cache-Control")):
			hd.Set("Cache-Control", h.CacheControl)
		}
		for k, v := range overrides {
			hd[k] = v
		}
	}
	origin.ServeHTTP(xw, originRequest(r, req.key))
	xw.finish()
	return nil
}

// originRequest is r as the origin must see it: the object's path, no
// query (everything in it is the endpoint's), no credentials.
func originRequest(r *http.Request, key string) *http.Request {
	out := r.Clone(r.Context())
	out.URL = &url.URL{Path: "/" + key}
	out.RequestURI = out.URL.RequestURI()
	out.Header.Del("Authorization")
	out.Header.Del("Cookie")
	for name := range out.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-amz-") {
			out.Header.Del(name)
		}
	}
	return out
}

// strict reports whether an origin's Cache-Control already keeps shared
// caches out.
func strict(cc string) bool {
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "no-store" || d == "private" || strings.HasPrefix(d, "private=") {
			return true
		}
	}
	return false
}

// deleteObject answers DeleteObject: 204 whether or not the key was there,
// as S3 does.
func (h *Handler) deleteObject(w http.ResponseWriter, r *http.Request, b bucket.Bucket, req request) error {
	if !validKey(req.key) {
		return invalidKey()
	}
	store, err := h.Stores.For(r.Context(), b)
	if err != nil {
		return storeError(err)
	}
	if err := store.Delete(r.Context(), req.key); err != nil {
		return storeError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func invalidKey() *server.Error {
	return s3Error(http.StatusBadRequest, CodeInvalidArgument,
		"the key is not accepted here: it has an empty, '.' or '..' segment, a segment starting with '.', or a control character")
}

// storeError answers a failed storage call.
func storeError(err error) error {
	switch {
	case errors.Is(err, ErrReadOnly):
		return s3Error(http.StatusForbidden, CodeAccessDenied,
			"Access Denied: the bucket's origin is an HTTP server, which the gateway only reads; writes need a file:// or s3:// origin")
	case errors.Is(err, objects.ErrNotFound):
		return noSuchKey()
	case errors.Is(err, objects.ErrPreconditionFailed):
		return s3Error(http.StatusPreconditionFailed, CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	case errors.Is(err, objects.ErrInvalidKey):
		return invalidKey()
	case errors.Is(err, objects.ErrKeyConflict):
		return s3Error(http.StatusConflict, "KeyConflict",
			"the key cannot live beside an existing one in this storage: one names a folder of the other (a/b beside a)")
	case errors.Is(err, objects.ErrAccessDenied):
		return server.WrapError(err, http.StatusServiceUnavailable, CodeServiceUnavailable, "the bucket's storage refused the gateway's credentials")
	}
	if e, ok := server.PublicError(err); ok {
		return e
	}
	if server.DiskFull(err) {
		return err // 507 from the one error writer
	}
	return server.WrapError(err, http.StatusServiceUnavailable, CodeServiceUnavailable, "the bucket's storage failed; try again").
		WithHeader("Retry-After", "1")
}
