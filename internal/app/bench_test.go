package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/server/fastlane"
)

// discardWriter is the cheapest http.ResponseWriter: the benchmarks below
// measure the gateway's handler chain, not a recorder's.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkSignedURLCachedRedirect is the whole handler chain (middleware,
// routing, signature, job memo, result cache, answer) for a signed URL whose
// result is cached: the request of bench/compare's scenario 1.
func BenchmarkSignedURLCachedRedirect(b *testing.B) {
	in := startLaneInstance(b, false)
	link := in.URL + in.link
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.RequestURI = in.link
	h := in.App.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != http.StatusFound {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkSignedURLFastLane is the same request answered on the fast lane:
// routing, signature, job memo, result cache, request id and metrics.
func BenchmarkSignedURLFastLane(b *testing.B) {
	in := startLaneInstance(b, true)
	path, query, _ := strings.Cut(in.link, "?")
	req := &fastlane.Request{Method: "GET", Target: in.link, Path: path, RawQuery: query,
		Host: strings.TrimPrefix(in.URL, "http://"), RemoteAddr: "127.0.0.1:5000"}
	var out fastlane.Response
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// As the lane does for every request it reads.
		out.Reset()
		req.Time = time.Now()
		if !in.App.FastLane().Answer(req, &out) || out.Status != http.StatusFound {
			b.Fatalf("not answered: %d", out.Status)
		}
	}
}
