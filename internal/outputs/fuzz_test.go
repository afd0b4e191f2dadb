package outputs

import (
	"mime"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzContentDisposition: for any stored name the header parses, carries
// no line break, and gives back exactly the name.
func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"a.pdf", "résumé.pdf", `q"uote\.txt`, "日本.png", "a\r\nSet-Cookie: x=y", "%41.txt", "'.txt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name := safeName(raw)
		if !utf8.ValidString(name) || name == "" {
			t.Fatalf("safeName(%q) = %q", raw, name)
		}
		h := ContentDisposition(name, false)
		if strings.ContainsAny(h, "\r\n\x00") {
			t.Fatalf("header %q has a control character", h)
		}
		_, params, err := mime.ParseMediaType(h)
		if err != nil {
			t.Fatalf("ParseMediaType(%q): %v", h, err)
		}
		if params["filename"] != name {
			t.Fatalf("name %q came back as %q from %q", name, params["filename"], h)
		}
	})
}
