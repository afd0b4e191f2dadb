// Package proxy owns authenticated bucket delivery end to end: the signing
// keys of buckets and their admin calls (keys.go, keys_api.go), custom
// domains and their routing by Host (domain*.go), the request path of a
// delivery (delivery.go), playlist rewriting (playlist.go), and the origins
// that serve the bytes (origin/). Tokens are checked by internal/verify/token.
//
// The request path: reading the bucket and object path from /media/{bucket}/{path...} or a custom
// domain, refusing paths that are not canonical, checking the bucket's
// policy and the request's token (from ?auth= or the playlist cookie),
// stripping the token, and handing the request to the bucket's origin with
// the cache headers and cookies that authenticated delivery needs. The
// bucket's CORS rule (internal/cors) answers preflights, before any token
// is asked for, and goes on every other answer, refusals included.
//
// Order of checks: the bucket exists (404), the path is canonical (400),
// then for an authenticated bucket the token (401 when absent, 403 when
// refused, with the token package's reason as code). The token never
// reaches the origin: the auth parameter and the auth cookie are removed
// from the request the origin sees, whatever the bucket's policy.
package proxy

import (
	"context"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/proxy/origin"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/server/fastlane"
	"github.com/signedgate/gateway/internal/verify"
	"github.com/signedgate/gateway/internal/verify/token"
)

// Buckets finds a bucket by name.
type Buckets = bucket.Finder

// Keys finds a live signing key for a request to bucket b.
type Keys interface {
	Lookup(ctx context.Context, kid string, b bucket.Bucket) (token.Key, bool, error)
}

// Origins gives the handler serving a bucket's objects; it is given the
// object path as r.URL.Path, cleaned, without token.
type Origins = origin.Handlers

// Handler serves bucket delivery. Its fields are read-only once in use.
type Handler struct {
	Buckets Buckets
	Keys    Keys
	Origins Origins
	// Cache remembers verified tokens; nil verifies every time.
	Cache *token.Cache
	// Leeway on exp and nbf; 0 allows none.
	Leeway time.Duration
	Now    func() time.Time
	// Refusals counts token refusals by flow and reason; nil counts none.
	Refusals *prometheus.CounterVec
	// SecureCookie marks the playlist cookie Secure and SameSite=None on
	// every request: the public URL is https, so TLS ends at the gateway
	// or in front of it. (A request that reached the gateway over TLS
	// gets that cookie anyway; X-Forwarded-Proto is never trusted, for
	// any client can send it.)
	SecureCookie bool
	// Rewrite, when set, rewrites .m3u8 bodies so that relative child URIs
	// carry the token.
	Rewrite          func(body []byte, token string) []byte
	MaxPlaylistBytes int64
	// CacheControl is set on answers authorised by a token unless the
	// origin's own Cache-Control is already private or no-store.
	CacheControl string
}

// RouteName labels /media requests in metrics.
const RouteName = "delivery"

// corsEndpoint is what cross-origin requests may do on bucket delivery:
// read, with ranges and validators, and see the headers players need.
var corsEndpoint = cors.NewEndpoint(cors.ReadMethods, cors.ReadRequestHeaders, cors.MediaExposeHeaders)

const noStore = "private, no-store"

// maxCookieTries bounds the RSA work one request can cause with several
// auth cookies (one per playlist directory the browser visited).
const maxCookieTries = 3

// MediaRouter claims every path under /media/. It is a router asked before
// the ServeMux, not a mux pattern, because the mux answers paths with dot
// segments with a redirect to their cleaned form (query, token included,
// copied into Location): such paths must be refused instead.
func (h *Handler) MediaRouter() server.Router {
	return mediaRouter{server.HandlerFunc(h.serveMedia)}
}

type mediaRouter struct{ handler http.Handler }

func (m mediaRouter) Route(r *http.Request) (http.Handler, string) {
	if strings.HasPrefix(r.URL.Path, MediaPrefix) || strings.HasPrefix(r.URL.EscapedPath(), MediaPrefix) {
		return m.handler, RouteName
	}
	return nil, ""
}

// FastRoute leaves every /media/ request to net/http: files are streamed
// there.
func (m mediaRouter) FastRoute(req *fastlane.Request, _ *fastlane.Response) (string, fastlane.Verdict) {
	if strings.HasPrefix(req.Path, MediaPrefix) {
		return RouteName, fastlane.Slow
	}
	return "", fastlane.Pass
}

func (h *Handler) serveMedia(w http.ResponseWriter, r *http.Request) error {
	name, objPath := splitMedia(r)
	return h.serve(w, r, name, objPath, strings.TrimSuffix(MediaPrefix, "/")+"/"+name)
}

// ServeDomain serves a request on a custom domain of bucketName: the whole
// path is the object path.
func (h *Handler) ServeDomain(w http.ResponseWriter, r *http.Request, bucketName string) error {
	return h.serve(w, r, bucketName, r.URL.Path, "")
}

// serve answers for objPath in bucket name; urlPrefix is what precedes the
// object path in the URL the browser sees.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, name, objPath, urlPrefix string) error {
	now := h.Now()
	// Every answer, whatever origin or refusal writes it: a browser must
	// never guess a bucket file's type (an "image" sniffed as HTML runs on
	// the delivery domain). Origins set it too; Set keeps one value.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	preflight := cors.IsPreflight(r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead && !preflight {
		return server.Errorf(http.StatusMethodNotAllowed, server.CodeMethodNotAllowed,
			"method %s is not allowed on bucket delivery; use GET or HEAD", r.Method).
			WithHeader("Allow", "GET, HEAD")
	}
	b, err := h.bucket(r.Context(), name)
	if err != nil {
		return err
	}
	if preflight {
		// Browsers send preflights without credentials: the bucket's
		// rule alone answers, whatever its policy.
		if err := corsEndpoint.Preflight(w, r, b.CORS); err != nil {
			return server.AsError(err).WithHeader("Cache-Control", noStore)
		}
		return nil
	}
	// Before any check, so that refusals carry it too: a player's script
	// can then read a 401 or 403 and say why it cannot play.
	corsEndpoint.Actual(w.Header(), b.CORS, r)
	if err := checkPath(r, objPath); err != nil {
		return err
	}
	tok, rest, fromQuery, ambiguous := queryToken(r.URL.RawQuery)

	var claims *token.Claims
	if b.Policy != bucket.Public {
		if ambiguous {
			return h.refuse(token.ErrMalformed)
		}
		claims, err = h.verify(r, b, objPath, tok, fromQuery, now)
		if err != nil {
			return err
		}
	}

	origin, err := h.Origins.Handler(b)
	if err != nil {
		return server.WrapError(err, http.StatusBadGateway, "BAD_ORIGIN", "the bucket's origin cannot be reached")
	}
	out := originRequest(r, objPath, rest)
	if claims == nil && b.CORS == nil && b.CacheControl == "" {
		origin.ServeHTTP(w, out) // the origin's answer, untouched
		return nil
	}
	aw := &answerWriter{ResponseWriter: w, cors: b.CORS, request: r}
	if claims == nil {
		aw.cacheControl = b.CacheControl
		origin.ServeHTTP(aw, out)
		return nil
	}

	aw.authorised, aw.cacheControl = true, h.CacheControl
	if fromQuery && isPlaylist(objPath) {
		aw.cookie = h.cookie(claims, tok, urlPrefix, now, r.TLS != nil)
	}
	if fromQuery && h.Rewrite != nil && strings.EqualFold(path.Ext(objPath), ".m3u8") {
		h.servePlaylist(aw, out, origin, tok)
		return nil
	}
	origin.ServeHTTP(aw, out)
	return nil
}

func (h *Handler) bucket(ctx context.Context, name string) (bucket.Bucket, error) {
	if bucket.ValidateName(name) != nil {
		return bucket.Bucket{}, server.NotFound("bucket does not exist").WithHeader("Cache-Control", noStore)
	}
	b, ok, err := h.Buckets.Lookup(ctx, name)
	if err != nil {
		return bucket.Bucket{}, server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable, "the record store does not answer; try again")
	}
	if !ok {
		return bucket.Bucket{}, server.NotFound("bucket %q does not exist", name).WithHeader("Cache-Control", noStore)
	}
	return b, nil
}

// verify checks the query token, or else each auth cookie until one
// opens objPath.
func (h *Handler) verify(r *http.Request, b bucket.Bucket, objPath, tok string, fromQuery bool, now time.Time) (*token.Claims, error) {
	var storeErr error
	v := token.Verifier{
		Cache:  h.Cache,
		Leeway: h.leeway(),
		Lookup: func(kid string) (token.Key, bool) {
			k, ok, err := h.Keys.Lookup(r.Context(), kid, b)
			if err != nil {
				storeErr = err
			}
			return k, ok
		},
	}
	candidates := []string{tok}
	if !fromQuery {
		candidates = cookieTokens(r, maxCookieTries)
		if len(candidates) == 0 {
			return nil, h.refuse(token.ErrTokenMissing)
		}
	}
	var first error
	for _, t := range candidates {
		c, err := v.Verify(t, b.Name, objPath, now)
		if storeErr != nil {
			return nil, server.WrapError(storeErr, http.StatusServiceUnavailable, server.CodeUnavailable, "the record store does not answer; try again")
		}
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, h.refuse(first)
}

func (h *Handler) leeway() time.Duration {
	if h.Leeway <= 0 {
		return -1 // the verifier reads 0 as its default
	}
	return h.Leeway
}

func (h *Handler) refuse(err error) error {
	var rf *verify.Refusal
	if !errors.As(err, &rf) {
		rf = token.ErrMalformed
	}
	if h.Refusals != nil {
		h.Refusals.WithLabelValues("delivery", rf.Code()).Inc()
	}
	// Refusals must never be cached: the next request may carry a good
	// token for the same URL, and a shared cache keys without it.
	return server.AsError(rf).WithHeader("Cache-Control", noStore)
}

// originRequest is r as the origin must see it: the object path, cleaned
// and decoded, and neither the auth parameter nor the auth cookie.
func originRequest(r *http.Request, objPath, rawQuery string) *http.Request {
	out := r.Clone(r.Context())
	out.URL.Path = objPath
	out.URL.RawPath = ""
	out.URL.RawQuery = rawQuery
	out.URL.ForceQuery = false
	out.RequestURI = out.URL.RequestURI()
	stripCookie(out.Header)
	return out
}

func isPlaylist(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".m3u8", ".mpd":
		return true
	}
	return false
}
