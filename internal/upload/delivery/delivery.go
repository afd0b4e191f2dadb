// Package delivery owns the delivery of uploaded assets at Cloudinary-style
// URLs, /<cloud>/<resource_type>/<type>/[s--SIG--/][v<version>/]<public_id>.<ext>:
// which requests it claims (only clouds that have an API key), which asset
// types need a signature (authenticated) or are never delivered (private),
// and serving the file (from the bucket's directory or its S3 bucket) with
// Range, ETag and safe content headers.
package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/upload"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Router claims delivery URLs of clouds that have an API key.
type Router struct {
	Keys    *upload.KeyRepo
	Buckets *bucket.Repo
	// Stores gives each bucket's asset store; it should be the upload
	// service's, so the two share their S3 clients.
	Stores *assets.Stores
	// Refusals counts signature refusals (flow "upload-delivery"); nil
	// disables counting.
	Refusals *prometheus.CounterVec
}

func (rt *Router) refuse(reason string) {
	if rt.Refusals != nil {
		rt.Refusals.WithLabelValues("upload-delivery", reason).Inc()
	}
}

var _ server.Router = (*Router)(nil)

var resourceTypes = map[string]bool{"image": true, "video": true, "raw": true}

// Route returns the delivery handler for r, or nil when r is not a delivery
// URL of a known cloud; other routers then get their turn.
func (rt *Router) Route(r *http.Request) (http.Handler, string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, ""
	}
	d, err := uploadsig.ParseDeliveryPath(r.URL.EscapedPath())
	if err != nil || !resourceTypes[d.ResourceType] || !assets.ValidType(d.Type) {
		return nil, ""
	}
	keys, err := rt.Keys.ForCloud(r.Context(), d.Cloud)
	if err != nil {
		return server.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return err }), "upload-delivery"
	}
	if len(keys) == 0 {
		return nil, ""
	}
	return server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return rt.serve(w, r, d, keys)
	}), "upload-delivery"
}

func (rt *Router) serve(w http.ResponseWriter, r *http.Request, d uploadsig.DeliveryPath, keys []upload.APIKey) error {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	// Credentials first, so a refusal for an unsupported feature never
	// tells an unsigned caller anything about an authenticated asset.
	switch {
	case d.Type == assets.Private:
		// Private assets are reachable through the API only, never by URL.
		return server.NotFound("resource not found")
	case d.Type == assets.Authenticated && d.Signature == "":
		rt.refuse("missing_signature")
		return server.Errorf(http.StatusUnauthorized, server.CodeUnauthorized,
			"authenticated assets need a signed URL (s--SIG--)")
	case d.Signature != "" && !signedByAny(d, keys):
		// A signature that is present must hold, whatever the type.
		rt.refuse("bad_signature")
		return server.Errorf(http.StatusUnauthorized, server.CodeUnauthorized, "invalid delivery signature")
	}
	if len(d.Transformation) > 0 {
		return server.BadRequest("TRANSFORMATION_UNSUPPORTED",
			"transformations are not supported yet: request the original, without %q", strings.Join(d.Transformation, "/"))
	}
	name, err := url.PathUnescape(d.PublicID)
	if err != nil {
		return server.NotFound("resource not found")
	}
	a, st, ok, err := rt.find(r.Context(), keys, d, name)
	if errors.Is(err, objects.ErrAccessDenied) {
		return readError(err)
	}
	if err != nil {
		return err
	}
	if !ok {
		return server.NotFound("resource not found")
	}
	// A directory's file is opened through the bucket's root: a symlink
	// in the bucket cannot serve a file from outside it.
	f, err := st.Open(r.Context(), a)
	if errors.Is(err, os.ErrNotExist) {
		return server.NotFound("resource not found")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	ctype := a.MIME
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.ETag+`"`)
	if isActive(a, ctype) {
		// An uploaded SVG or HTML file must not run script on this origin.
		h.Set("Content-Security-Policy", "sandbox")
	}
	if a.Type == assets.Authenticated {
		h.Set("Cache-Control", "private, max-age=3600")
	} else {
		h.Set("Cache-Control", "public, max-age=31536000")
	}
	p, ok := f.(preparer)
	if !ok {
		// A local file: ServeContent sends it with sendfile.
		http.ServeContent(w, r, "", a.CreatedAt, f)
		return nil
	}
	pw := &prepareWriter{ResponseWriter: w, r: r, p: p}
	http.ServeContent(pw, r, "", a.CreatedAt, f)
	if pw.err != nil {
		// Nothing was answered yet: the headers ServeContent set for the
		// file go, and the failure is answered instead.
		for _, k := range []string{"Content-Length", "Content-Range", "Content-Type", "Accept-Ranges",
			"ETag", "Last-Modified", "Cache-Control", "Content-Security-Policy"} {
			h.Del(k)
		}
		return readError(pw.err)
	}
	return nil
}

// readError answers a file that could not be read.
func readError(err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return server.NotFound("resource not found")
	case errors.Is(err, assets.ErrChanged):
		return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
			"the asset is being replaced; retry").WithHeader("Retry-After", "1")
	case errors.Is(err, objects.ErrAccessDenied):
		return server.WrapError(err, http.StatusBadGateway, server.CodeUnavailable,
			"the storage of this bucket refused the gateway's credentials")
	}
	return server.WrapError(err, http.StatusBadGateway, server.CodeUnavailable, "the storage of this bucket did not answer")
}

// preparer is a file that reads over the network (see assets.File).
type preparer interface{ Prepare(n int64) error }

// prepareWriter lets a file that reads over the network start its read
// when http.ServeContent sends the status line of a body of one piece:
// ServeContent has then chosen its range (it is where the file was sought
// to, Content-Length long), and a read that fails can still be answered
// with an error instead of a short body. Several ranges are read as
// ServeContent goes.
type prepareWriter struct {
	http.ResponseWriter
	r     *http.Request
	p     preparer
	wrote bool
	err   error
}

func (w *prepareWriter) WriteHeader(code int) {
	if w.wrote || w.err != nil {
		return
	}
	h := w.Header()
	if w.r.Method != http.MethodHead && (code == http.StatusOK || code == http.StatusPartialContent) &&
		!strings.HasPrefix(h.Get("Content-Type"), "multipart/") {
		n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
		if err == nil {
			if err := w.p.Prepare(n); err != nil {
				w.err = err
				return
			}
		}
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *prepareWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	return w.ResponseWriter.Write(b)
}

func (w *prepareWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// signedByAny checks the URL signature against the secret of each of the
// cloud's keys, so keys can be rotated without breaking published URLs.
func signedByAny(d uploadsig.DeliveryPath, keys []upload.APIKey) bool {
	for _, k := range keys {
		if uploadsig.VerifyDelivery(d.SignedPart(), d.Signature, k.APISecret) == nil {
			return true
		}
	}
	return false
}

// find looks the asset up in the buckets of the cloud's keys: first as a
// public id with its extension split off (images, videos), then as the
// whole name (raw assets keep the extension in the public id; other assets
// may be asked for without one). The version
// segment is not checked, as on Cloudinary: it only busts caches.
func (rt *Router) find(ctx context.Context, keys []upload.APIKey, d uploadsig.DeliveryPath, name string) (assets.Asset, assets.Store, bool, error) {
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.Bucket] {
			continue
		}
		seen[k.Bucket] = true
		b, ok, err := rt.Buckets.Lookup(ctx, k.Bucket)
		if err != nil {
			return assets.Asset{}, nil, false, err
		}
		if !ok {
			continue
		}
		st, err := rt.stores().For(ctx, b)
		if errors.Is(err, assets.ErrReadOnly) {
			continue
		}
		if err != nil {
			return assets.Asset{}, nil, false, err
		}
		if i := strings.LastIndexByte(name, '.'); i > 0 && !strings.Contains(name[i:], "/") {
			a, ok, err := st.Lookup(ctx, d.Type, name[:i])
			if err != nil {
				return a, st, false, err
			}
			if ok && a.ResourceType == d.ResourceType && a.Format == name[i+1:] {
				return a, st, true, nil
			}
		}
		a, ok, err := st.Lookup(ctx, d.Type, name)
		if err != nil {
			return a, st, false, err
		}
		// A URL without extension gets the asset in its stored format,
		// as the SDKs build URLs when no format is given.
		if ok && a.ResourceType == d.ResourceType {
			return a, st, true, nil
		}
	}
	return assets.Asset{}, nil, false, nil
}

var defaultStores assets.Stores

func (rt *Router) stores() *assets.Stores {
	if rt.Stores == nil {
		return &defaultStores
	}
	return rt.Stores
}

func isActive(a assets.Asset, ctype string) bool {
	switch a.Format {
	case "svg", "html", "htm", "xhtml", "xml":
		return true
	}
	return strings.Contains(ctype, "svg") || strings.Contains(ctype, "html") || strings.Contains(ctype, "xml")
}
