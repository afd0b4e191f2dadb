package signedurl

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzValidateBase(f *testing.F) {
	for _, s := range []string{"https://h/conv", "http://127.0.0.1:8080/b3d85428", "https://h/v1/x", "https://h/a?b", "https://h/%2e%2e/v1", "https://u@h/x", "//h/x", "https://h/a#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, base string) {
		if ValidateBase(base) != nil {
			return
		}
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("accepted %q", base)
		}
		p := Base{Base: base}.Path()
		if p == "" || p == "/" {
			t.Fatalf("accepted %q with path %q", base, p)
		}
		for _, r := range ReservedPrefixes {
			if p == r || strings.HasPrefix(p, r+"/") {
				t.Fatalf("accepted %q under %s", base, r)
			}
		}
	})
}

func TestNewIDAndSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, s := NewID(), NewSecret()
		if !uuidV4.MatchString(id) || ValidateID(id) != nil || len(s) != 32 || ValidateSecret(s) != nil {
			t.Fatalf("id %q secret %q", id, s)
		}
		if seen[id] || seen[s] {
			t.Fatal("repeated id or secret")
		}
		seen[id], seen[s] = true, true
	}
}
