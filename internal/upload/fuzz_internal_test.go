package upload

import (
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/upload/assets"
)

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/-1", "bytes 100-199/200", "bytes 0-0/*", "bytes 5-1/3", "bytes -1-2/3", "bytes 9223372036854775807-9223372036854775807/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cr, err := parseContentRange(s)
		if err != nil {
			return
		}
		if cr.first < 0 || cr.last < cr.first || (cr.total != -1 && cr.total <= cr.last) {
			t.Fatalf("accepted an impossible range %q: %+v", s, cr)
		}
	})
}

func FuzzContextMap(f *testing.F) {
	for _, s := range []string{"a=b|c=d", `a\=b=c\|d`, "|||", `\`, "=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := contextMap(s)
		if s == "" && m != nil {
			t.Fatal("empty context gave a map")
		}
	})
}

func FuzzValidatePublicID(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/x", "a\x00b", ".meta/x", "a//b", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if assets.ValidatePublicID(id) != nil {
			return
		}
		for seg := range strings.SplitSeq(id, "/") {
			if seg == "" || seg == ".." || strings.HasPrefix(seg, ".") {
				t.Fatalf("accepted %q with segment %q", id, seg)
			}
		}
		if strings.ContainsAny(id, "\\\x00") || len(id) > assets.MaxPublicIDLength {
			t.Fatalf("accepted %q", id)
		}
	})
}
