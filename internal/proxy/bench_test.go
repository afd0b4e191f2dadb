package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify/token"
)

// BenchmarkSegment measures the gateway's own work on a segment request
// of an authenticated bucket (origin excluded): with the verified-token
// cache, as a viewer resending one token costs, and without.
func BenchmarkSegment(b *testing.B) {
	testKeys(b)
	for _, tc := range []struct {
		name  string
		cache *token.Cache
	}{{"cached", token.NewCache(1000, time.Hour)}, {"uncached", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			h := &Handler{
				Buckets: fakeBuckets{"media": {Name: "media", Policy: "authenticated"}},
				Keys: &fakeKeys{keys: map[string]token.Key{
					"kid-a": {ID: "kid-a", Bucket: "media", Public: &privA.PublicKey, Alg: token.AlgRS256},
				}},
				Origins:      originFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }),
				Cache:        tc.cache,
				Leeway:       30 * time.Second,
				Now:          func() time.Time { return t0 },
				CacheControl: "private",
			}
			hd, _ := h.MediaRouter().Route(httptest.NewRequest("GET", "/media/media/x", nil))
			tok := sign(b, privA, "kid-a", token.Claims{URI: "/show/ep1/", ExpiresAt: t0.Add(time.Hour)})
			req := httptest.NewRequest("GET", "/media/media/show/ep1/seg0.ts?auth="+tok, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				hd.ServeHTTP(w, req)
				if w.Code != http.StatusNoContent {
					b.Fatalf("got %d %s", w.Code, w.Body)
				}
			}
		})
	}
}
