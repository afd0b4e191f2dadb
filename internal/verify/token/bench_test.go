package token

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func benchVerifier(b *testing.B, cache *Cache) (*Verifier, string) {
	store := newKeyStore(b)
	tok := mustSign(b, privA, "kid-a", Claims{URI: "/show/ep1/", ExpiresAt: t0.Add(time.Hour), Extra: map[string]any{"sub": "viewer-42"}})
	return &Verifier{Lookup: store.lookup, Cache: cache}, tok
}

func BenchmarkVerifyUncached(b *testing.B) {
	v, tok := benchVerifier(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok, "bucket-a", "/show/ep1/seg-00042.ts", t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	v, tok := benchVerifier(b, NewCache(0, 0))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok, "bucket-a", "/show/ep1/seg-00042.ts", t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyUncachedParallel(b *testing.B) {
	v, tok := benchVerifier(b, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(tok, "bucket-a", "/show/ep1/seg-00042.ts", t0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyCachedParallel spreads hits over many tokens, as many
// viewers do, so it measures shard contention rather than one hot entry.
func BenchmarkVerifyCachedParallel(b *testing.B) {
	v, _ := benchVerifier(b, NewCache(0, 0))
	toks := make([]string, 256)
	for i := range toks {
		toks[i] = mustSign(b, privA, "kid-a", Claims{URI: "/show/ep1/", ExpiresAt: t0.Add(time.Hour), Extra: map[string]any{"sub": fmt.Sprint(i)}})
		if _, err := v.Verify(toks[i], "bucket-a", "/show/ep1/seg-00042.ts", t0); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 37
		for pb.Next() {
			i++
			if _, err := v.Verify(toks[i%len(toks)], "bucket-a", "/show/ep1/seg-00042.ts", t0); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkInScope(b *testing.B) {
	for b.Loop() {
		if !InScope("/show/ep1/", "/show/ep1/1080p/seg-00042.ts") {
			b.Fatal("out of scope")
		}
	}
}
