package urlsig

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// nodeEncode mimics the Node SDK: standard base64, then only the FIRST "+"
// and the FIRST "/" made URL-safe, padding stripped.
func nodeEncode(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	s = strings.Replace(s, "+", "-", 1)
	s = strings.Replace(s, "/", "_", 1)
	return strings.TrimRight(s, "=")
}

// mixedJob returns job JSON whose standard base64 holds at least two "+"
// and two "/", so Node leaves a mixed alphabet.
func mixedJob(t *testing.T) []byte {
	t.Helper()
	for i := range 64 {
		b := fmt.Appendf(nil, `{"tasks":{"i":{"operation":"import/url","url":"https://x/%s???~~~???~~~\u00e9"}}}`, strings.Repeat("a", i))
		s := base64.StdEncoding.EncodeToString(b)
		if strings.Count(s, "+") >= 2 && strings.Count(s, "/") >= 2 {
			return b
		}
	}
	t.Fatal("no mixed-alphabet job found")
	return nil
}

func TestNodeMixedAlphabet(t *testing.T) {
	const base = "https://gw.example/b1"
	job := mixedJob(t)
	enc := nodeEncode(job)
	if !strings.ContainsAny(enc, "-_") || !strings.ContainsAny(enc, "+") || !strings.ContainsAny(enc, "/") {
		t.Fatalf("encoding %q is not mixed", enc)
	}
	unsigned := base + "?job=" + enc + "&cache_key=k"
	u := unsigned + "&s=" + Signature([]byte("sec"), unsigned)
	q, err := Parse(u[len(base)+1:])
	if err != nil {
		t.Fatal(err)
	}
	if q.Job != enc {
		t.Errorf("job: got %q, want %q (a \"+\" became something else)", q.Job, enc)
	}
	if err := Verify(base, [][]byte{[]byte("sec")}, q); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, err := DecodeJob(q.Job)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(job) {
		t.Errorf("got %s, want %s", got, job)
	}
}

func TestDecodeJobSpellings(t *testing.T) {
	job := []byte(`{"tasks":{"a":{"operation":"import/url","url":"https://x/???~~~>>>"}}}`)
	std := base64.StdEncoding.EncodeToString(job)
	if !strings.ContainsAny(std, "+/") || !strings.HasSuffix(std, "=") {
		t.Fatalf("test job needs +, / and padding in %q", std)
	}
	tests := []struct{ name, raw string }{
		{"url-safe unpadded (PHP, Ruby, Java, .NET)", base64.RawURLEncoding.EncodeToString(job)},
		{"url-safe padded (Python)", base64.URLEncoding.EncodeToString(job)},
		{"standard padded", std},
		{"standard unpadded", base64.RawStdEncoding.EncodeToString(job)},
		{"node mixed", nodeEncode(job)},
		{"percent-encoded by a proxy", url.QueryEscape(std)},
		{"lowercase percent-encoding", strings.ReplaceAll(url.QueryEscape(std), "%3D", "%3d")},
		{"plus form-decoded to space", strings.ReplaceAll(std, "+", " ")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJob(tt.raw)
			if err != nil {
				t.Fatalf("DecodeJob(%q): %v", tt.raw, err)
			}
			if string(got) != string(job) {
				t.Errorf("got %s, want %s", got, job)
			}
		})
	}
}

func TestDecodeJobRefuses(t *testing.T) {
	for _, raw := range []string{"", "=", "==", "a", "abcde", "ab!d", "ab.d", "%zz", "%", "ab=d", "abc===", "\r", "ab\ncd", "%0D%0A", "ab\x00c"} {
		t.Run(raw, func(t *testing.T) {
			if _, err := DecodeJob(raw); err != ErrInvalidJob {
				t.Errorf("DecodeJob(%q): got %v, want %v", raw, err, ErrInvalidJob)
			}
			if ErrInvalidJob.Code() != CodeInvalidData {
				t.Errorf("code: got %q, want %q", ErrInvalidJob.Code(), CodeInvalidData)
			}
		})
	}
}
