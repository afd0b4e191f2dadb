package fetch

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestFileName(t *testing.T) {
	tests := []struct {
		name, disposition, url, want string
	}{
		{"quoted filename", `attachment; filename="report.pdf"`, "https://h/x", "report.pdf"},
		{"token filename", `attachment; filename=report.pdf`, "https://h/x", "report.pdf"},
		{"filename* UTF-8", `attachment; filename*=UTF-8''%E2%82%AC%20rates.csv`, "https://h/x", "€ rates.csv"},
		{"filename* wins over filename", `attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve.txt`, "https://h/x", "naïve.txt"},
		{"filename* wins when first", `attachment; filename*=UTF-8''na%C3%AFve.txt; filename="fallback.txt"`, "https://h/x", "naïve.txt"},
		{"inline with filename", `inline; filename="a.png"`, "https://h/x", "a.png"},
		{"path in disposition", `attachment; filename="../../etc/passwd"`, "https://h/x", "passwd"},
		{"windows path in disposition", `attachment; filename="C:\\Windows\\evil.exe"`, "https://h/x", "evil.exe"},
		{"unparseable disposition falls back to URL", `attachment; filename=a b.txt`, "https://h/dir/b.txt", "b.txt"},
		{"disposition without name", `attachment`, "https://h/dir/c.txt", "c.txt"},
		{"disposition name empty after sanitising", `attachment; filename=".."`, "https://h/d.txt", "d.txt"},
		{"URL last segment", "", "https://h/a/b/photo.jpg?size=large#x", "photo.jpg"},
		{"URL percent-decoded", "", "https://h/files/my%20file%20%28v2%29.txt", "my file (v2).txt"},
		{"URL encoded slash stays in segment", "", "https://h/files/a%2F..%2Fsecret.txt", "secret.txt"},
		{"URL encoded dots", "", "https://h/%2e%2e", FallbackFileName},
		{"URL trailing slash", "", "https://h/dir/", FallbackFileName},
		{"URL root", "", "https://h", FallbackFileName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := FileName(tt.disposition, u); got != tt.want {
				t.Errorf("FileName(%q, %q) = %q, want %q", tt.disposition, tt.url, got, tt.want)
			}
		})
	}
}

func TestSanitizeFileName(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		in, want string
	}{
		{"report.pdf", "report.pdf"},
		{"", FallbackFileName},
		{".", FallbackFileName},
		{"..", FallbackFileName},
		{"...", FallbackFileName},
		{"../../../etc/passwd", "passwd"},
		{`..\..\boot.ini`, "boot.ini"},
		{"dir/", FallbackFileName},
		{"a\x00b.txt", "ab.txt"},
		{"evil\r\nSet-Cookie: x.txt", "evilSet-Cookie_ x.txt"},
		{"invoice\u202Efdp.exe", "invoicefdp.exe"}, // bidi override removed
		{"zero\u200Bwidth.txt", "zerowidth.txt"},
		{".htaccess", "htaccess"},
		{"name. . .", "name"},
		{"a..b.txt", "a.b.txt"},
		{"a....b", "a.b"},
		{`quote"pipe|star*.txt`, "quote_pipe_star_.txt"},
		{"bad\xffutf8.txt", "bad_utf8.txt"},
		{"  spaced  .txt  ", "spaced  .txt"},
		{"日本語.txt", "日本語.txt"},
		{long + ".txt", strings.Repeat("a", 251) + ".txt"},
		{strings.Repeat("é", 200), strings.Repeat("é", 127)}, // 254 bytes, rune boundary
		{long[:250] + ".b." + "txt", strings.Repeat("a", 250) + ".txt"},
	}
	for _, tt := range tests {
		if got := SanitizeFileName(tt.in); got != tt.want {
			t.Errorf("SanitizeFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSanitizeFileName checks the promises SanitizeFileName makes for any
// input, and that sanitising is idempotent (a stored name survives being
// sanitised again by another component).
func FuzzSanitizeFileName(f *testing.F) {
	for _, s := range []string{
		"report.pdf", "../../etc/passwd", `..\..\x`, "a\x00b", "\u202Etxt.exe", ".", "..", "....",
		"a/b\\c", "\xff\xfe", strings.Repeat("é", 200) + ".jpeg", " . .x. . ", "a.\u200B.b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeFileName(in)
		switch {
		case got == "":
			t.Fatalf("%q: empty result", in)
		case len(got) > maxFileNameBytes:
			t.Fatalf("%q: %d bytes", in, len(got))
		case !utf8.ValidString(got):
			t.Fatalf("%q: invalid UTF-8 %q", in, got)
		case strings.ContainsAny(got, "/\\\x00"):
			t.Fatalf("%q: separator or NUL in %q", in, got)
		case strings.Contains(got, ".."):
			t.Fatalf("%q: %q contains ..", in, got)
		case strings.HasPrefix(got, "."):
			t.Fatalf("%q: %q is hidden", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%q: %q contains %U", in, got, r)
			}
		}
		if again := SanitizeFileName(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, got, again)
		}
	})
}
