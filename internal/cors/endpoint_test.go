package cors

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

var testEndpoint = NewEndpoint(ReadMethods, ReadRequestHeaders, MediaExposeHeaders)

func rule(t *testing.T, credentials bool, origins ...string) *Rule {
	t.Helper()
	r := &Rule{AllowedOrigins: origins, AllowCredentials: credentials}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	return r
}

func request(method string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, "/media/films/a.mp4", nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func TestActual(t *testing.T) {
	listed := rule(t, true, "https://player.example.com", "http://localhost:3000")
	for _, tc := range []struct {
		name          string
		rule          *Rule
		origin        string
		wantOrigin    string
		wantCreds     string
		wantVary      bool
		wantNoExposed bool
	}{
		{"listed origin", listed, "https://player.example.com", "https://player.example.com", "true", true, false},
		{"second listed origin", listed, "http://localhost:3000", "http://localhost:3000", "true", true, false},
		{"origin not listed", listed, "https://evil.example.com", "", "", true, true},
		{"listed host, other scheme", listed, "http://player.example.com", "", "", true, true},
		{"listed host, other port", listed, "https://player.example.com:8443", "", "", true, true},
		{"upper case is not how browsers send it", listed, "https://PLAYER.example.com", "", "", true, true},
		{"null origin", listed, "null", "", "", true, true},
		{"no Origin: Vary all the same", listed, "", "", "", true, true},
		{"wildcard", rule(t, false, "*"), "https://anyone.example.com", "*", "", true, false},
		{"wildcard, no Origin", rule(t, false, "*"), "", "", "", true, true},
		{"no rule", nil, "https://player.example.com", "", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			r := request("GET", map[string]string{"Origin": tc.origin})
			if tc.origin == "" {
				r.Header.Del("Origin")
			}
			granted := testEndpoint.Actual(h, tc.rule, r)
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.wantOrigin || granted != (tc.wantOrigin != "") {
				t.Errorf("Allow-Origin %q (granted %v), want %q", got, granted, tc.wantOrigin)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != tc.wantCreds {
				t.Errorf("Allow-Credentials %q, want %q", got, tc.wantCreds)
			}
			if got := h.Get("Vary") == "Origin"; got != tc.wantVary {
				t.Errorf("Vary %q, want Origin: %v", h.Values("Vary"), tc.wantVary)
			}
			exposed := h.Get("Access-Control-Expose-Headers")
			if tc.wantNoExposed != (exposed == "") {
				t.Errorf("Expose-Headers %q", exposed)
			}
			if exposed != "" && exposed != "Content-Range, Content-Length, Accept-Ranges, ETag" {
				t.Errorf("Expose-Headers %q", exposed)
			}
		})
	}
}

// TestActualReplacesUpstreamHeaders: an HTTP origin's own CORS headers
// never reach the client next to the gateway's (two Allow-Origin values
// are refused by browsers), and Vary is not repeated.
func TestActualReplacesUpstreamHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Credentials", "false")
	h.Add("Vary", "Accept-Encoding, origin")
	r := request("GET", map[string]string{"Origin": "https://player.example.com"})
	listed := rule(t, true, "https://player.example.com")
	testEndpoint.Actual(h, listed, r)
	testEndpoint.Actual(h, listed, r)
	if got := h.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "https://player.example.com" {
		t.Errorf("Allow-Origin %q", got)
	}
	if got := h.Values("Access-Control-Allow-Credentials"); len(got) != 1 || got[0] != "true" {
		t.Errorf("Allow-Credentials %q", got)
	}
	if got := h.Values("Vary"); len(got) != 1 {
		t.Errorf("Vary %q, want the upstream's one field, which lists Origin already", got)
	}

	// Not granted: the upstream's grant goes too.
	h = http.Header{"Access-Control-Allow-Origin": {"*"}}
	testEndpoint.Actual(h, listed, request("GET", map[string]string{"Origin": "https://evil.example.com"}))
	if got := h.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Allow-Origin %q for an origin not listed", got)
	}
}

func TestPreflight(t *testing.T) {
	listed := rule(t, true, "https://player.example.com")
	listed.MaxAge = new(int)
	*listed.MaxAge = 120
	for _, tc := range []struct {
		name        string
		rule        *Rule
		hdr         map[string]string
		wantStatus  int
		wantOrigin  string
		wantHeaders string
	}{
		{"granted with Range", listed, map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}, 204, "https://player.example.com", "Range"},
		{"only acceptable headers echoed", listed, map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Headers": "x-evil, RANGE ,if-none-match,range,\tauthorization, x-a\r\n"}, 204, "https://player.example.com", "Range, If-None-Match, Authorization"},
		{"HEAD", listed, map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "HEAD"}, 204, "https://player.example.com", ""},
		{"method not allowed", listed, map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "PUT"}, 403, "", ""},
		{"method in lower case", listed, map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "get"}, 403, "", ""},
		{"origin not listed", listed, map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"}, 403, "", ""},
		{"no rule", nil, map[string]string{"Origin": "https://player.example.com", "Access-Control-Request-Method": "GET"}, 403, "", ""},
		{"wildcard", rule(t, false, "*"), map[string]string{"Origin": "https://anyone.example.com", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}, 204, "*", "Range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request("OPTIONS", tc.hdr)
			if !IsPreflight(r) {
				t.Fatal("not a preflight")
			}
			w := httptest.NewRecorder()
			err := testEndpoint.Preflight(w, r, tc.rule)
			h := w.Header()
			if tc.wantStatus == 204 {
				if err != nil || w.Code != 204 {
					t.Fatalf("got %d, %v; want 204", w.Code, err)
				}
				if got := h.Get("Access-Control-Allow-Methods"); got != "GET, HEAD" {
					t.Errorf("Allow-Methods %q", got)
				}
				if got := h.Get("Access-Control-Max-Age"); got == "" || (tc.rule == listed && got != "120") {
					t.Errorf("Max-Age %q", got)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Status() != tc.wantStatus || e.Code() != CodeNotAllowed {
					t.Fatalf("got %v, want %d %s", err, tc.wantStatus, CodeNotAllowed)
				}
				if w.Code != 200 || w.Body.Len() != 0 {
					t.Errorf("a refusal wrote %d %q itself; the caller's error writer answers it", w.Code, w.Body)
				}
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tc.wantOrigin {
				t.Errorf("Allow-Origin %q, want %q", got, tc.wantOrigin)
			}
			if got := h.Get("Access-Control-Allow-Headers"); got != tc.wantHeaders {
				t.Errorf("Allow-Headers %q, want %q", got, tc.wantHeaders)
			}
			if got := h.Values("Vary"); len(got) != 3 || got[0] != "Origin" {
				t.Errorf("Vary %q, want Origin and the two request headers", got)
			}
		})
	}
}

func TestIsPreflight(t *testing.T) {
	for _, tc := range []struct {
		method string
		hdr    map[string]string
		want   bool
	}{
		{"OPTIONS", map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "GET"}, true},
		{"OPTIONS", map[string]string{"Origin": "https://a.example.com"}, false},
		{"OPTIONS", map[string]string{"Access-Control-Request-Method": "GET"}, false},
		{"GET", map[string]string{"Origin": "https://a.example.com", "Access-Control-Request-Method": "GET"}, false},
	} {
		if got := IsPreflight(request(tc.method, tc.hdr)); got != tc.want {
			t.Errorf("%s %v: got %v, want %v", tc.method, tc.hdr, got, tc.want)
		}
	}
}

func TestNewEndpointRefusesNonTokens(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewEndpoint took a header name with a line break")
		}
	}()
	NewEndpoint(ReadMethods, []string{"Range\r\nX-Evil: 1"}, nil)
}
