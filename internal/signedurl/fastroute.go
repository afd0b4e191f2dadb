package signedurl

import (
	"context"

	"github.com/signedgate/gateway/internal/fastlane"
	"github.com/signedgate/gateway/internal/resultcache"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// FastRoute answers, on the fast lane, a request for a base's path whose
// signature holds, whose job was checked before, and whose result is
// cached: the 302 that a published link gets every time it is clicked
// after the first. It is the answer serve gives the same request. Anything
// else, refusals included, is Slow: serve answers it, and counts and logs
// what it refuses.
func (h *Handler) FastRoute(req *fastlane.Request, resp *fastlane.Response) (string, fastlane.Verdict) {
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
	e, ok, err := h.Cache.Cached(ctx, resultcache.Key{Base: b.ID, CacheKey: q.CacheKey, JobHash: checked.hash})
	if err != nil || !ok || e.Location == "" {
		return RouteName, fastlane.Slow
	}
	if h.Metrics != nil {
		h.Metrics.CacheLookups.WithLabelValues("signed_url", string(resultcache.Hit)).Inc()
	}
	// As respond and serve write it, in net/http's (sorted) field order.
	resp.Status = 302
	resp.Set("Cache-Control", "no-store")
	resp.Set("Location", e.Location)
	resp.Set("X-Cache", string(resultcache.Hit))
	if e.JobID != "" {
		resp.Set("X-Job-Id", e.JobID)
	}
	return RouteName, fastlane.Answered
}
