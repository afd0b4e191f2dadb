package cors

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// FuzzRequest sends arbitrary origins, methods and requested headers to a
// rule with listed origins and credentials, as actual requests and as
// preflights: nothing panics, no origin off the list is ever granted, a
// grant echoes exactly the request's origin, and no header written holds
// a CR, LF or NUL or a requested header the endpoint does not accept.
func FuzzRequest(f *testing.F) {
	f.Add("https://player.example.com", "GET", "range")
	f.Add("https://player.example.com", "GET", "range, if-none-match, x-evil")
	f.Add("https://evil.example.com", "GET", "range")
	f.Add("https://player.example.com\r\nX: y", "GET", "range\r\nX-Evil: 1")
	f.Add("null", "PUT", "authorization")
	f.Add("HTTPS://PLAYER.EXAMPLE.COM", "get", ",,,")
	f.Add("https://player.example.com:443", "HEAD", "Range\x00")
	listed := []string{"https://player.example.com", "http://127.0.0.1:8080"}
	r := &Rule{AllowedOrigins: listed, AllowCredentials: true}
	if err := r.Normalize(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, origin, method, requestHeaders string) {
		req := httptest.NewRequest("GET", "/x", nil)
		// Set as a client would send them, bytes unchecked: the
		// server's parser is not trusted to have filtered them.
		req.Header["Origin"] = []string{origin}
		h := http.Header{}
		granted := testEndpoint.Actual(h, r, req)
		check(t, h, granted, origin, "")

		req.Method = http.MethodOptions
		req.Header[headerRequestMethod] = []string{method}
		req.Header[headerRequestHeaders] = []string{requestHeaders}
		w := httptest.NewRecorder()
		err := testEndpoint.Preflight(w, req, r)
		check(t, w.Header(), err == nil, origin, requestHeaders)
		if err == nil && (w.Code != http.StatusNoContent || !slices.Contains(ReadMethods, method)) {
			t.Errorf("preflight for %q granted with %d", method, w.Code)
		}
	})
}

func check(t *testing.T, h http.Header, granted bool, origin, requested string) {
	t.Helper()
	for k, vs := range h {
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				t.Fatalf("header %s: %q holds a control character", k, v)
			}
		}
	}
	acao := h.Values("Access-Control-Allow-Origin")
	if !granted {
		if len(acao) != 0 {
			t.Fatalf("not granted, but Allow-Origin %q", acao)
		}
		return
	}
	if len(acao) != 1 || acao[0] != origin {
		t.Fatalf("granted %q with Allow-Origin %q", origin, acao)
	}
	if origin != "https://player.example.com" && origin != "http://127.0.0.1:8080" {
		t.Fatalf("granted %q, which is not on the list", origin)
	}
	allowed := h.Get("Access-Control-Allow-Headers")
	if allowed == "" {
		return
	}
	lowerReq := strings.ToLower(requested)
	for name := range strings.SplitSeq(allowed, ", ") {
		if !slices.Contains(ReadRequestHeaders, name) || !strings.Contains(lowerReq, strings.ToLower(name)) {
			t.Fatalf("Allow-Headers %q names %q; requested %q", allowed, name, requested)
		}
	}
}

// FuzzNormalizeOrigin: whatever the admin API is given, an accepted
// origin is serialised (normalising it again changes nothing), has no
// path or control character, and is http or https.
func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"https://a.example.com", "HTTP://A.EXAMPLE.COM:80/", "http://[::1]:8080", "https://a.example.com/x", "null", "*", "https://a:b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalizeOrigin(in)
		if err != nil {
			return
		}
		again, err := NormalizeOrigin(out)
		if err != nil || again != out {
			t.Fatalf("%q normalised to %q, which normalises to %q, %v", in, out, again, err)
		}
		if !strings.HasPrefix(out, "http://") && !strings.HasPrefix(out, "https://") {
			t.Fatalf("%q: scheme of %q", in, out)
		}
		rest := out[strings.Index(out, "://")+3:]
		if strings.ContainsAny(rest, "/?#@\\ \t\r\n\x00") || rest != strings.ToLower(rest) {
			t.Fatalf("%q normalised to %q", in, out)
		}
	})
}
