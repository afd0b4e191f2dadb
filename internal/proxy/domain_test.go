package proxy

import (
	"strings"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"media.example.com", "media.example.com"},
		{"Media.Example.COM.", "media.example.com"},
		{" cdn-1.example.co.uk ", "cdn-1.example.co.uk"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"", ""},
		{"localhost", ""},
		{"example.com:8080", ""},
		{"http://example.com", ""},
		{"a_b.example.com", ""},
		{"-a.example.com", ""},
		{"a..example.com", ""},
		{"10.0.0.1", ""},
		{"[::1]", ""},
		{"example.123", ""},
		{"bücher.example", ""},
		{strings.Repeat("a", 64) + ".example.com", ""},
	} {
		got, err := NormalizeDomain(tc.in)
		if tc.want == "" && err == nil {
			t.Errorf("%q: got %q, want an error", tc.in, got)
		}
		if tc.want != "" && (err != nil || got != tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"Media.Example.com":      "media.example.com",
		"media.example.com:8443": "media.example.com",
		"media.example.com.":     "media.example.com",
		"[::1]:80":               "::1",
		"":                       "",
	} {
		if got := HostOf(in); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzNormalizeDomain: a normalised name is stable, and its Host header form
// finds it again.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"media.example.com", "A.B.", "x:1", "1.2.3.4", "a-.b", "[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeDomain(s)
		if err != nil {
			return
		}
		if again, err := NormalizeDomain(n); err != nil || again != n {
			t.Fatalf("%q -> %q -> %q, %v", s, n, again, err)
		}
		if HostOf(strings.ToUpper(n)+":443") != n || HostOf(n+".") != n {
			t.Fatalf("%q: HostOf does not find it", n)
		}
		if DomainIDOf(n) != DomainIDOf(HostOf(n)) {
			t.Fatalf("%q: id differs", n)
		}
	})
}
