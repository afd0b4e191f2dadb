package signedurl

import (
	"time"

	"github.com/signedgate/gateway/internal/cache"
)

// localCopy keeps, for a while, the results this instance has answered
// links with, so that a published link keeps working while the result
// cache cannot be read (Redis is down): the link's own result, as this
// instance last saw it, is answered instead of a 503. It is read only when
// the result cache fails; otherwise the result cache is the truth.
//
// An entry is used only under the bases' generation it was made under (a
// base changed on any instance drops it, as in answerMemo), for at most
// Handler.LocalCopyTTL after it was seen and never past the result's own expiry.
// Like the other memos it is bounded by dropping everything when full.
type localCopy struct{ m memo[localResult] }

// localCopyEntries bounds the copy: about 500 bytes each.
const localCopyEntries = 16384

type localResult struct {
	gen   uint64
	until time.Time
	jobID string
	loc   string
}

// put remembers e, seen at now under the bases' generation gen, as the
// answer to k for at most ttl. Only redirects are kept.
func (lc *localCopy) put(k cache.Key, gen uint64, now time.Time, e cache.Entry, ttl time.Duration) {
	if ttl <= 0 || e.Location == "" {
		return
	}
	until := now.Add(ttl)
	if !e.Expires.IsZero() && e.Expires.Before(until) {
		until = e.Expires
	}
	lc.m.putBounded(k.String(), localResult{gen: gen, until: until, jobID: e.JobID, loc: e.Location}, localCopyEntries)
}

// get returns the answer kept for k under generation gen, if it is still
// fresh at now.
func (lc *localCopy) get(k cache.Key, gen uint64, now time.Time) (cache.Entry, bool) {
	r, ok := lc.m.get(k.String())
	if !ok || r.gen != gen || !now.Before(r.until) {
		return cache.Entry{}, false
	}
	return cache.Entry{JobID: r.jobID, Location: r.loc, Final: true, Expires: r.until}, true
}
