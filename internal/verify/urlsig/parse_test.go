package urlsig

import (
	"github.com/signedgate/gateway/internal/verify"
	"strings"
	"testing"
)

var sigHex = strings.Repeat("ab", 32)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Query
	}{
		{"node order", "job=eyJ9&cache_key=k&s=" + sigHex,
			Query{Job: "eyJ9", CacheKey: "k", HasCacheKey: true, S: sigHex, Rest: "job=eyJ9&cache_key=k"}},
		{"no cache_key", "job=eyJ9&s=" + sigHex,
			Query{Job: "eyJ9", S: sigHex, Rest: "job=eyJ9"}},
		{"python padding kept", "job=eyJ9fQ==&s=" + sigHex,
			Query{Job: "eyJ9fQ==", S: sigHex, Rest: "job=eyJ9fQ=="}},
		{"plus is not a space", "job=a+b/c-d_e&s=" + sigHex,
			Query{Job: "a+b/c-d_e", S: sigHex, Rest: "job=a+b/c-d_e"}},
		{"percent kept raw", "job=eyJ9fQ%3D%3D&s=" + sigHex,
			Query{Job: "eyJ9fQ%3D%3D", S: sigHex, Rest: "job=eyJ9fQ%3D%3D"}},
		{"empty cache_key means no caching", "job=x&cache_key=&s=" + sigHex,
			Query{Job: "x", HasCacheKey: true, S: sigHex, Rest: "job=x&cache_key="}},
		{"zero is a key", "job=x&cache_key=0&s=" + sigHex,
			Query{Job: "x", CacheKey: "0", HasCacheKey: true, S: sigHex, Rest: "job=x&cache_key=0"}},
		{"s first", "s=" + sigHex + "&job=x",
			Query{Job: "x", S: sigHex, Rest: "job=x"}},
		{"s in the middle, order kept", "job=x&s=" + sigHex + "&cache_key=k",
			Query{Job: "x", CacheKey: "k", HasCacheKey: true, S: sigHex, Rest: "job=x&cache_key=k"}},
		{"other pairs kept byte for byte", "job=x&a=1+2&&b&s=" + sigHex + "&c=%20",
			Query{Job: "x", S: sigHex, Rest: "job=x&a=1+2&&b&c=%20"}},
		{"uppercase hex", "job=x&s=" + strings.ToUpper(sigHex),
			Query{Job: "x", S: strings.ToUpper(sigHex), Rest: "job=x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want *verify.Refusal
		code string
	}{
		{"empty", "", ErrMissingSignature, CodeMissingSignature},
		{"no s", "job=x", ErrMissingSignature, CodeMissingSignature},
		{"encoded s name is not s", "job=x&%73=" + sigHex, ErrMissingSignature, CodeMissingSignature},
		{"duplicate s", "job=x&s=" + sigHex + "&s=" + sigHex, ErrDuplicateSignature, CodeInvalidSignature},
		{"duplicate s, one empty", "job=x&s=&s=" + sigHex, ErrDuplicateSignature, CodeInvalidSignature},
		{"short s", "job=x&s=" + sigHex[:63], ErrMalformedSignature, CodeInvalidSignature},
		{"long s", "job=x&s=" + sigHex + "0", ErrMalformedSignature, CodeInvalidSignature},
		{"non-hex s", "job=x&s=" + sigHex[:63] + "g", ErrMalformedSignature, CodeInvalidSignature},
		{"s without =", "job=x&s", ErrMalformedSignature, CodeInvalidSignature},
		{"no job", "cache_key=k&s=" + sigHex, ErrMissingJob, CodeInvalidData},
		{"empty job", "job=&s=" + sigHex, ErrMissingJob, CodeInvalidData},
		{"duplicate job", "job=x&job=y&s=" + sigHex, ErrDuplicateJob, CodeInvalidData},
		{"duplicate cache_key", "job=x&cache_key=a&cache_key=a&s=" + sigHex, ErrDuplicateCacheKey, CodeInvalidData},
		{"cache_key with dot", "job=x&cache_key=a.b&s=" + sigHex, ErrInvalidCacheKey, CodeInvalidData},
		{"cache_key percent", "job=x&cache_key=a%20b&s=" + sigHex, ErrInvalidCacheKey, CodeInvalidData},
		{"cache_key plus", "job=x&cache_key=a+b&s=" + sigHex, ErrInvalidCacheKey, CodeInvalidData},
		{"cache_key slash", "job=x&cache_key=../x&s=" + sigHex, ErrInvalidCacheKey, CodeInvalidData},
		{"cache_key non-ASCII", "job=x&cache_key=\u00e9&s=" + sigHex, ErrInvalidCacheKey, CodeInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.raw)
			if err != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := tt.want.Code(); got != tt.code {
				t.Errorf("code: got %q, want %q", got, tt.code)
			}
		})
	}
}

// TestVerifySignatureNotLast checks that s may sit anywhere: the signature
// covers the other pairs in their order, wherever s was.
func TestVerifySignatureNotLast(t *testing.T) {
	const base = "https://gw.example/b1"
	secret := []byte("k")
	rest := "job=eyJ9&cache_key=a"
	s := Signature(secret, StringToSign(base, rest))
	for _, raw := range []string{
		"s=" + s + "&" + rest,
		"job=eyJ9&s=" + s + "&cache_key=a",
		rest + "&s=" + s,
	} {
		q, err := Parse(raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
		if err := Verify(base, [][]byte{secret}, q); err != nil {
			t.Errorf("Verify(%q): %v", raw, err)
		}
	}
	q, _ := Parse("cache_key=a&job=eyJ9&s=" + s)
	if err := Verify(base, [][]byte{secret}, q); err != ErrInvalidSignature {
		t.Errorf("reordered pairs: got %v, want %v", err, ErrInvalidSignature)
	}
}

func TestExpected(t *testing.T) {
	const base = "https://gw.example/b1"
	secret := []byte("top-secret")
	msg, sig := Expected(base, secret, "job=x")
	if msg != "https://gw.example/b1?job=x" {
		t.Errorf("message: got %q", msg)
	}
	if strings.Contains(msg+sig, string(secret)) {
		t.Error("Expected leaks the secret")
	}
	q, err := Parse("job=x&s=" + sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(base, [][]byte{secret}, q); err != nil {
		t.Errorf("Verify: %v", err)
	}
}
