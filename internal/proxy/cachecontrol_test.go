package proxy_test

import (
	"strings"
	"testing"
)

// TestPublicBucketCacheControl: a public bucket's cache_control goes on
// its successful answers (200, 206, 304) and not on errors; a bucket
// without one keeps the origin's headers (a directory sends none); an
// authenticated bucket answers private whatever its cache_control says.
func TestPublicBucketCacheControl(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	dir := mediaDir(t)
	const cc = "public, max-age=3600, s-maxage=86400"
	var created struct {
		Bucket struct {
			CacheControl string `json:"cache_control"`
		} `json:"bucket"`
	}
	if st := in.Admin(t, "PUT", "/v1/buckets/open", map[string]any{"origin": "file://" + dir, "cache_control": " " + cc + " "}, &created); st != 201 || created.Bucket.CacheControl != cc {
		t.Fatalf("create: %d %+v", st, created)
	}
	in.Admin(t, "PUT", "/v1/buckets/plain", map[string]any{"origin": "file://" + dir}, nil)

	st, _, h := fetch(t, in.URL+"/media/open/films/a.mp4", "", nil)
	if st != 200 || h.Get("Cache-Control") != cc {
		t.Fatalf("200: %d Cache-Control %q, want %q", st, h.Get("Cache-Control"), cc)
	}
	etag := h.Get("ETag")
	for _, tc := range []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
		want   string
	}{
		{"range", "/media/open/films/a.mp4", map[string]string{"Range": "bytes=0-3"}, 206, cc},
		{"not modified", "/media/open/films/a.mp4", map[string]string{"If-None-Match": etag}, 304, cc},
		{"no such file", "/media/open/films/none.mp4", nil, 404, ""},
		{"bucket without cache_control", "/media/plain/films/a.mp4", nil, 200, ""},
	} {
		st, _, h := fetch(t, in.URL+tc.path, "", tc.hdr)
		if st != tc.status || (tc.want != "" && h.Get("Cache-Control") != tc.want) || (tc.want == "" && h.Get("Cache-Control") == cc) {
			t.Errorf("%s: %d Cache-Control %q, want %d %q", tc.name, st, h.Get("Cache-Control"), tc.status, tc.want)
		}
	}
	if _, _, h := fetch(t, in.URL+"/media/plain/films/a.mp4", "", nil); h.Get("Cache-Control") != "" {
		t.Errorf("bucket without cache_control: Cache-Control %q, want the origin's (none)", h.Get("Cache-Control"))
	}

	// Authenticated: the token's answer is private, refusals no-store.
	k := makeBucket(t, in, "closed", "file://"+dir)
	in.Admin(t, "PUT", "/v1/buckets/closed", map[string]any{"origin": "file://" + dir, "cache_control": cc}, nil)
	if st, _, h := fetch(t, in.URL+"/media/closed/films/a.mp4?auth="+signWith(t, k, tokenClaimsAll()), "", nil); st != 200 || h.Get("Cache-Control") != "private" {
		t.Errorf("authorised: %d Cache-Control %q, want private", st, h.Get("Cache-Control"))
	}
	if st, _, h := fetch(t, in.URL+"/media/closed/films/a.mp4", "", nil); st != 401 || h.Get("Cache-Control") != "private, no-store" {
		t.Errorf("refusal: %d Cache-Control %q, want private, no-store", st, h.Get("Cache-Control"))
	}
}

func TestBucketCacheControlValidation(t *testing.T) {
	t.Parallel()
	in := startApp(t, nil)
	dir := mediaDir(t)
	for name, cc := range map[string]string{
		"line break": "public\r\nSet-Cookie: a=b",
		"NUL":        "public\x00",
		"non-ASCII":  "public, max-âge=1",
		"tab":        "public,\tmax-age=1",
		"too long":   "public, max-age=1, " + strings.Repeat("x", 256),
		"DEL":        "public\x7f",
	} {
		var out map[string]string
		if st := in.Admin(t, "PUT", "/v1/buckets/open", map[string]any{"origin": "file://" + dir, "cache_control": cc}, &out); st != 400 || out["code"] != "INVALID_DATA" {
			t.Errorf("%s: %d %v, want 400 INVALID_DATA", name, st, out)
		}
	}
}
