package token

import (
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"
)

// FuzzInScope checks that no path InScope lets through can be read, by an
// origin that cleans it, decodes it again, or treats backslashes or NUL as
// special, as a place outside the scope.
func FuzzInScope(f *testing.F) {
	seeds := [][2]string{
		{"/a/b", "/a/b/x"}, {"/a/b/", "/a/bc"}, {"", "/x/../../y"}, {"/a", "/a/%2e%2e/b"},
		{"/a", "/a/%252e%252e/b"}, {"/a", "/a/..%2fb"}, {"/a", "/a\\..\\b"}, {"/a", "/a/x\x00/../../b"},
		{"a", "a/b"}, {"/a/b", "/a/b/..;/c"}, {"/", "//etc"}, {"/v", "/v/\xc0\xae\xc0\xae/x"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, uri, p string) {
		if !InScope(uri, p) {
			return
		}
		scope := path.Clean("/" + uri)
		for _, seen := range readings(p) {
			if !under(seen, scope) {
				t.Fatalf("InScope(%q, %q) = true, but an origin may read the path as %q, outside %q", uri, p, seen, scope)
			}
		}
	})
}

// readings lists ways a careless origin might interpret p.
func readings(p string) []string {
	out := []string{path.Clean("/" + p)}
	add := func(s string) { out = append(out, path.Clean("/"+s)) }
	add(strings.ReplaceAll(p, "\\", "/"))
	if i := strings.IndexByte(p, 0); i >= 0 {
		add(p[:i])
	}
	d := p
	for range 3 {
		next, err := url.PathUnescape(d)
		if err != nil || next == d {
			break
		}
		d = next
		add(d)
		add(strings.ReplaceAll(d, "\\", "/"))
	}
	return out
}

func under(p, scope string) bool {
	return scope == "/" || p == scope || strings.HasPrefix(p, scope+"/")
}

// FuzzVerify feeds arbitrary tokens, buckets, paths and clocks: Verify must
// never panic, must answer with one of the package's reasons, and must
// accept nothing but the tokens that were actually signed.
func FuzzVerify(f *testing.F) {
	store := newKeyStore(f)
	signed := map[string]bool{}
	for _, c := range []Claims{
		{URI: "/a", ExpiresAt: t0.Add(time.Hour)},
		{},
		{URI: "/a/b/", NotBefore: t0, Extra: map[string]any{"x": []int{1, 2}}},
	} {
		tok := mustSign(f, privA, "kid-a", c)
		signed[tok] = true
		f.Add(tok, "bucket-a", "/a/b/c", int64(0))
	}
	f.Add(rawToken(map[string]any{"alg": "none", "kid": "kid-a"}, map[string]any{}, nil), "bucket-a", "/a", int64(0))
	f.Add("e30.e30.", "bucket-a", "/", int64(-1))
	f.Add("..", "", "", int64(1<<40))

	reasons := map[*verify.Refusal]bool{ErrTokenMissing: true, ErrMalformed: true, ErrUnknownKey: true, ErrWrongBucket: true,
		ErrBadAlgorithm: true, ErrOutOfScope: true, ErrExpired: true, ErrNotYetValid: true, ErrBadSignature: true}
	cached := &Verifier{Lookup: store.lookup, Cache: NewCache(64, time.Hour)}
	plain := &Verifier{Lookup: store.lookup}

	f.Fuzz(func(t *testing.T, tok, bucket, p string, offset int64) {
		now := t0.Add(time.Duration(offset))
		for _, v := range []*Verifier{plain, cached} {
			c, err := v.Verify(tok, bucket, p, now)
			if err != nil {
				e, ok := err.(*verify.Refusal)
				if !ok || !reasons[e] || c != nil {
					t.Fatalf("got (%v, %v), want nil claims and a package reason", c, err)
				}
				continue
			}
			if !signed[tok] {
				t.Fatalf("accepted a token that was never signed: %q", tok)
			}
			if bucket != "bucket-a" || !InScope(c.URI, p) {
				t.Fatalf("accepted bucket %q path %q for uri %q", bucket, p, c.URI)
			}
		}
	})
}
