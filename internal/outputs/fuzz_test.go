package outputs

import (
	"context"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// FuzzServe: a request the store did not sign is refused with a 4xx JSON
// error, never served, never a 5xx or a panic.
func FuzzServe(f *testing.F) {
	f.Add("0123456789abcdef", "a.txt", "1767409445", "00ff")
	f.Add("../../etc", "passwd", "-1", "")
	f.Add("", "", "99999999999999999999", "zz")
	root := f.TempDir()
	s, err := New(Config{Backend: Dir{Root: root}, PublicURL: "http://x", Secret: []byte("fuzz-secret-fuzz-secret"), JanitorInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	o, err := s.Put(context.Background(), strings.NewReader("data"), "a.txt", false)
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	f.Fuzz(func(t *testing.T, id, name, expires, sig string) {
		req := httptest.NewRequest("GET", "/outputs/x/y", nil)
		req.SetPathValue("id", id)
		req.SetPathValue("name", name)
		req.URL.RawQuery = url.Values{"expires": {expires}, "sig": {sig}}.Encode()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code == http.StatusOK && !strings.HasPrefix(o.URL, "http://x/outputs/"+id+"/") {
			t.Fatalf("id %q name %q expires %q sig %q: %d %s", id, name, expires, sig, rec.Code, rec.Body)
		}
	})
}
