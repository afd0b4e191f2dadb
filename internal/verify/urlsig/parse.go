package urlsig

import "strings"

// Query is a signed URL's raw query, split the way the signature needs it.
type Query struct {
	// Job is the job parameter exactly as received: not percent-decoded,
	// not base64-decoded. DecodeJob turns it into JSON after Verify.
	Job string
	// CacheKey is the cache_key value; HasCacheKey reports whether the
	// parameter was present at all (Ruby, Java and .NET send an empty one).
	CacheKey    string
	HasCacheKey bool
	// S is the hex signature as received.
	S string
	// Rest is the raw query with the single s pair removed and every other
	// byte kept in order: what the signature covers after base + "?".
	Rest string
}

// Cached reports whether the result may be cached: an empty cache_key
// means "no caching", while "0" is a key like any other.
func (q Query) Cached() bool { return q.CacheKey != "" }

// Parse splits rawQuery (the query as received, without "?").
//
// It splits on "&" and each pair on its first "=" only, and decodes
// nothing: url.ParseQuery would turn Node's "+" into a space and would
// re-serialise the query differently from the bytes that were signed.
// Signature faults are reported before data faults, so a forged URL is
// always answered as a signature problem.
func Parse(rawQuery string) (Query, error) {
	var (
		q               Query
		sAt             = -1
		nS, nJob, nKeys int
	)
	pairs := strings.Split(rawQuery, "&")
	for i, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "s":
			nS++
			sAt = i
			q.S = v
		case "job":
			nJob++
			q.Job = v
		case "cache_key":
			nKeys++
			q.CacheKey = v
			q.HasCacheKey = true
		}
	}
	switch {
	case nS > 1:
		return Query{}, ErrDuplicateSignature
	case nS == 0:
		return Query{}, ErrMissingSignature
	case !isHexSignature(q.S):
		return Query{}, ErrMalformedSignature
	case nJob > 1:
		return Query{}, ErrDuplicateJob
	case nJob == 0 || q.Job == "":
		return Query{}, ErrMissingJob
	case nKeys > 1:
		return Query{}, ErrDuplicateCacheKey
	case !validCacheKey(q.CacheKey):
		return Query{}, ErrInvalidCacheKey
	}
	if sAt == len(pairs)-1 && sAt > 0 {
		// s comes last, as every SDK puts it: the rest is a prefix.
		q.Rest = rawQuery[:len(rawQuery)-len(pairs[sAt])-1]
	} else {
		q.Rest = strings.Join(append(pairs[:sAt:sAt], pairs[sAt+1:]...), "&")
	}
	return q, nil
}

func isHexSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	var sig [32]byte
	return decodeHex(sig[:], s)
}

// validCacheKey accepts the empty key ("no caching") and [A-Za-z0-9_-]+.
// The key becomes part of a storage key, so nothing else gets through.
func validCacheKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
