package signedurl

import (
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/cache"
)

func TestLocalCopyFreshness(t *testing.T) {
	var lc localCopy
	k := cache.Key{Base: "b", CacheKey: "k", JobHash: "h"}
	now := time.Unix(1_000_000, 0)
	e := cache.Entry{JobID: "j", Location: "http://gw/outputs/x.pdf", Final: true}

	lc.put(k, 1, now, e, time.Minute)
	if got, ok := lc.get(k, 1, now.Add(59*time.Second)); !ok || got.Location != e.Location || got.JobID != "j" {
		t.Errorf("within its freshness: %+v %v", got, ok)
	}
	if _, ok := lc.get(k, 1, now.Add(time.Minute)); ok {
		t.Error("answered past LocalCopyTTL")
	}
	if _, ok := lc.get(k, 2, now); ok {
		t.Error("answered after the bases changed")
	}
	if _, ok := lc.get(cache.Key{Base: "b", CacheKey: "other", JobHash: "h"}, 1, now); ok {
		t.Error("answered another key")
	}

	// Never past the result's own expiry.
	e.Expires = now.Add(10 * time.Second)
	lc.put(k, 1, now, e, time.Minute)
	if _, ok := lc.get(k, 1, now.Add(10*time.Second)); ok {
		t.Error("answered past the result's expiry")
	}

	// Off, and nothing kept of answers that are not redirects.
	var off localCopy
	off.put(k, 1, now, cache.Entry{JobID: "j", Location: "http://x"}, 0)
	off.put(cache.Key{Base: "b"}, 1, now, cache.Entry{JobID: "j", Final: true}, time.Minute)
	if off.m.len() != 0 {
		t.Errorf("kept %d entries with the copy off or without a redirect", off.m.len())
	}
}

func TestLocalCopyIsBounded(t *testing.T) {
	var lc localCopy
	now := time.Unix(1_000_000, 0)
	for i := range localCopyEntries + 10 {
		lc.put(cache.Key{Base: "b", CacheKey: "k", JobHash: string(rune('a'+i%26)) + time.Duration(i).String()}, 1, now,
			cache.Entry{Location: "http://x"}, time.Minute)
	}
	if n := lc.m.len(); n > localCopyEntries {
		t.Errorf("%d entries, bound %d", n, localCopyEntries)
	}
}
