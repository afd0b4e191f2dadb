package signedurl

import (
	"context"
	"net/http"
	"time"

	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/server/fastlane"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// FastRoute answers, on the fast lane, a request for a base's path whose
// signature holds, whose job was checked before, and whose result is
// cached: the 302 that a published link gets every time it is clicked
// after the first. It is the answer serve gives the same request. Anything
// else, refusals included, is Slow: serve answers it, and counts and logs
// what it refuses.
func (h *Handler) FastRoute(req *fastlane.Request, resp *fastlane.Response) (string, fastlane.Verdict) {
	now := req.Time
	if now.IsZero() {
		now = time.Now()
	}
	// The generation is read before the bases, so that an answer made
	// while they change is filed under the old one and never used.
	gen := h.Repo.generation()
	if f, ok := h.answers.get(req.Target, gen, now); ok {
		h.countHit()
		resp.Status = http.StatusFound
		resp.SetFields(f)
		return RouteName, fastlane.Answered
	}
	ctx := context.Background()
	b, ok, err := h.Repo.ByPath(ctx, req.Path)
	switch {
	case err != nil:
		return RouteName, fastlane.Slow
	case !ok:
		return "", fastlane.Pass
	}
	q, err := urlsig.Parse(req.RawQuery)
	if err != nil || !q.Cached() {
		return RouteName, fastlane.Slow
	}
	if b.verify(q) != nil {
		return RouteName, fastlane.Slow
	}
	checked := h.memo.get(q.Job)
	if checked == nil {
		return RouteName, fastlane.Slow // the first request of a link checks its job
	}
	key := cache.Key{Base: b.ID, CacheKey: q.CacheKey, JobHash: checked.hash}
	e, ok, err := h.Cache.Cached(ctx, key)
	src := cache.Hit
	switch {
	case err != nil:
		// The result cache cannot be read: this instance's own copy
		// answers, or serve does (a 503, counted and logged there).
		if e, ok = h.local.get(key, gen, now); !ok {
			return RouteName, fastlane.Slow
		}
		src = cache.Local
	case !ok || e.Location == "":
		return RouteName, fastlane.Slow
	default:
		h.local.put(key, gen, now, e, h.LocalCopyTTL)
	}
	h.count(src)
	// As respond and serve write it, in net/http's (sorted) field order.
	// The lane never sees a request with Origin (fastlane leaves those to
	// net/http), so of the base's CORS headers only Vary is due here.
	var f fastlane.Fields
	f.Add("Cache-Control", "no-store")
	f.Add("Location", e.Location)
	if b.CORS != nil {
		f.Add("Vary", "Origin")
	}
	f.Add("X-Cache", string(src))
	if e.JobID != "" {
		f.Add("X-Job-Id", e.JobID)
	}
	if src == cache.Hit {
		// A local answer is not memoized: the result cache is read again
		// at the next request, so the lane is back with it at once.
		h.answers.put(req.Target, gen, now, f)
	}
	resp.Status = http.StatusFound
	resp.SetFields(f)
	return RouteName, fastlane.Answered
}

// count counts an answer from src on the lane.
func (h *Handler) count(src cache.Source) {
	if src == cache.Hit {
		h.countHit()
	} else if h.Metrics != nil {
		h.Metrics.CacheLookups.WithLabelValues("signed_url", string(src)).Inc()
	}
}

// countHit counts a result-cache hit answered on the lane.
func (h *Handler) countHit() {
	if h.Metrics == nil {
		return
	}
	c := h.hits.Load()
	if c == nil {
		hit := h.Metrics.CacheLookups.WithLabelValues("signed_url", string(cache.Hit))
		c = &hit
		h.hits.Store(c)
	}
	(*c).Inc()
}
