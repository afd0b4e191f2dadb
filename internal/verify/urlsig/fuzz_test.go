package urlsig

import (
	"bytes"
	"encoding/base64"
	"github.com/signedgate/gateway/internal/verify"
	"net/url"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(strings.SplitN(v.URL, "?", 2)[1])
	}
	f.Add("s=" + sigHex + "&job=x")
	f.Add("job=x&&s=" + sigHex + "&")
	f.Add("job=x&s=" + sigHex + "&s=")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := Parse(raw)
		if err != nil {
			if _, ok := err.(*verify.Refusal); !ok {
				t.Fatalf("error %v is not a *verify.Refusal", err)
			}
			return
		}
		// Rest is raw minus exactly the s pair and one separator.
		removed := len("s=") + len(q.S)
		if strings.Contains(raw, "&") {
			removed++
		}
		if len(q.Rest) != len(raw)-removed {
			t.Fatalf("Rest %q: length %d, want %d", q.Rest, len(q.Rest), len(raw)-removed)
		}
		for p := range strings.SplitSeq(q.Rest, "&") {
			if k, _, _ := strings.Cut(p, "="); k == "s" {
				t.Fatalf("Rest %q still holds an s pair", q.Rest)
			}
		}
		if q.Job == "" || !validCacheKey(q.CacheKey) {
			t.Fatalf("accepted %+v", q)
		}
		if again, err := Parse(q.Rest + "&s=" + q.S); err != nil || again.Rest != q.Rest {
			t.Fatalf("re-parse with s last: %+v, %v", again, err)
		}
		if err := Verify("https://gw.example/b", [][]byte{[]byte("k")}, q); err == nil && q.S != Signature([]byte("k"), StringToSign("https://gw.example/b", q.Rest)) {
			t.Fatal("accepted a signature that is not the HMAC")
		}
		key := NewKey([]byte("k"))
		if got, want := key.Verify("https://gw.example/b", q), Verify("https://gw.example/b", [][]byte{[]byte("k")}, q); got != want {
			t.Fatalf("Key.Verify says %v, Verify says %v", got, want)
		}
		signed := q
		signed.S = Signature([]byte("k"), StringToSign("https://gw.example/b", q.Rest))
		if err := key.Verify("https://gw.example/b", signed); err != nil {
			t.Fatalf("Key.Verify refused the HMAC: %v", err)
		}
	})
}

func FuzzSignRoundTrip(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Base, v.Secret, []byte(v.Job), v.CacheKey)
	}
	f.Add("http://h", "s", []byte{0xfb, 0xff, 0xbf}, "0")
	f.Fuzz(func(t *testing.T, base, secret string, job []byte, cacheKey string) {
		if secret == "" || len(job) == 0 || !validCacheKey(cacheKey) {
			return
		}
		u := Sign(base, secret, job, cacheKey)
		q, err := Parse(u[len(base)+1:])
		if err != nil {
			t.Fatalf("Parse(%q): %v", u, err)
		}
		if q.CacheKey != cacheKey {
			t.Fatalf("cache_key: got %q, want %q", q.CacheKey, cacheKey)
		}
		if err := Verify(base, [][]byte{[]byte(secret)}, q); err != nil {
			t.Fatalf("Verify(%q): %v", u, err)
		}
		if err := Verify(base, [][]byte{[]byte(secret + "x")}, q); err != ErrInvalidSignature {
			t.Fatalf("other secret: got %v, want %v", err, ErrInvalidSignature)
		}
		if err := Verify(base+"x", [][]byte{[]byte(secret)}, q); err != ErrInvalidSignature {
			t.Fatalf("other base: got %v, want %v", err, ErrInvalidSignature)
		}
		got, err := DecodeJob(q.Job)
		if err != nil || !bytes.Equal(got, job) {
			t.Fatalf("DecodeJob: got %q, %v; want %q", got, err, job)
		}
	})
}

func FuzzDecodeJob(f *testing.F) {
	f.Add("eyJ9fQ==", []byte(`{"tasks":{}}`))
	f.Add("a-b_c+d/", []byte{0xfb, 0xff, 0xbf, 0x3e})
	f.Add("%3D%2B%2F", []byte("?>~"))
	f.Fuzz(func(t *testing.T, raw string, job []byte) {
		if b, err := DecodeJob(raw); err != nil && err != ErrInvalidJob {
			t.Fatalf("DecodeJob(%q): unexpected error %v", raw, err)
		} else if err == nil && len(b) == 0 {
			t.Fatalf("DecodeJob(%q): empty job accepted", raw)
		}
		if len(job) == 0 {
			return
		}
		std := base64.StdEncoding.EncodeToString(job)
		for _, enc := range []string{
			std,
			base64.RawStdEncoding.EncodeToString(job),
			base64.URLEncoding.EncodeToString(job),
			base64.RawURLEncoding.EncodeToString(job),
			nodeEncode(job),
			url.QueryEscape(std),
			url.PathEscape(std),
		} {
			got, err := DecodeJob(enc)
			if err != nil || !bytes.Equal(got, job) {
				t.Fatalf("DecodeJob(%q): got %q, %v; want %q", enc, got, err, job)
			}
		}
	})
}
