package app

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/fastlane"
	"github.com/signedgate/gateway/internal/verify/urlsig"
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
	a, base := benchApp(b)
	job := fmt.Sprintf(`{"tasks":{"in":{"operation":"import/base64","file":%q,"filename":"a.txt"},"out":{"operation":"export/url","input":"in"}}}`,
		base64.StdEncoding.EncodeToString([]byte("hello")))
	link := urlsig.Sign(base+"/bench", "bench-secret-0123456789", []byte(job), "k1")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(link)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b.Fatalf("warm-up: %d", resp.StatusCode)
	}
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.RequestURI = strings.TrimPrefix(link, base)
	h := a.Handler()
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

func benchApp(b *testing.B) (*App, string) {
	b.Helper()
	a, base := startApp(b, b.TempDir())
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/signed-url-bases",
		bytes.NewBufferString(`{"id":"bench","signing_secret":"bench-secret-0123456789"}`))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("create base: %d", resp.StatusCode)
	}
	return a, base
}

// BenchmarkSignedURLFastLane is the same request answered on the fast lane:
// routing, signature, job memo, result cache, request id and metrics.
func BenchmarkSignedURLFastLane(b *testing.B) {
	a, base := benchApp(b)
	job := fmt.Sprintf(`{"tasks":{"in":{"operation":"import/base64","file":%q,"filename":"a.txt"},"out":{"operation":"export/url","input":"in"}}}`,
		base64.StdEncoding.EncodeToString([]byte("hello")))
	link := urlsig.Sign(base+"/bench", "bench-secret-0123456789", []byte(job), "k1")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(link)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	target := strings.TrimPrefix(link, base)
	path, query, _ := strings.Cut(target, "?")
	req := &fastlane.Request{Method: "GET", Target: target, Path: path, RawQuery: query,
		Host: strings.TrimPrefix(base, "http://"), RemoteAddr: "127.0.0.1:5000"}
	var out fastlane.Response
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out = fastlane.Response{}
		if !a.fast.Answer(req, &out) || out.Status != http.StatusFound {
			b.Fatalf("not answered: %d", out.Status)
		}
	}
}
