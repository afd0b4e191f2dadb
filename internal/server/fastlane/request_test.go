package fastlane

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		want     Request
	}{
		{"get", "GET /b?job=x&s=1 HTTP/1.1\r\nHost: gw.example\r\n\r\n",
			Request{Method: "GET", Target: "/b?job=x&s=1", Path: "/b", RawQuery: "job=x&s=1", Host: "gw.example"}},
		{"head with port and id", "HEAD /b HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nX-Request-Id: abc-1\r\nAccept: */*\r\n\r\n",
			Request{Method: "HEAD", Target: "/b", Path: "/b", Host: "127.0.0.1:8080", RequestID: "abc-1"}},
		{"close", "GET / HTTP/1.1\r\nHost: [::1]:80\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
			Request{Method: "GET", Target: "/", Path: "/", Host: "[::1]:80", Close: true}},
		{"empty query", "GET /a/b? HTTP/1.1\r\nHost: h\r\nUser-Agent:  x y \t\r\n\r\n",
			Request{Method: "GET", Target: "/a/b?", Path: "/a/b", Host: "h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Request
			in := tt.in + "GET /next"
			n, res := parse([]byte(in), &got)
			if res != complete {
				t.Fatalf("result %v, want complete", res)
			}
			if n != len(tt.in) {
				t.Errorf("consumed %d bytes, want %d", n, len(tt.in))
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseLeavesTheRestToNetHTTP(t *testing.T) {
	for name, in := range map[string]string{
		"post":               "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
		"options":            "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		"http/1.0":           "GET /b HTTP/1.0\r\nHost: h\r\n\r\n",
		"http/2 preface":     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"no host":            "GET /b HTTP/1.1\r\n\r\n",
		"two hosts":          "GET /b HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"empty host":         "GET /b HTTP/1.1\r\nHost: \r\n\r\n",
		"odd host":           "GET /b HTTP/1.1\r\nHost: a b\r\n\r\n",
		"chunked":            "GET /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
		"a body":             "GET /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
		"expect":             "GET /b HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
		"upgrade":            "GET /b HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"bare lf":            "GET /b HTTP/1.1\nHost: h\n\n",
		"lf in the head":     "GET /b HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
		"folded header":      "GET /b HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\n",
		"space before colon": "GET /b HTTP/1.1\r\nHost : h\r\n\r\n",
		"no colon":           "GET /b HTTP/1.1\r\nHost: h\r\nbogus\r\n\r\n",
		"control in value":   "GET /b HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n",
		"utf-8 in value":     "GET /b HTTP/1.1\r\nHost: h\r\nX-A: é\r\n\r\n",
		"escaped path":       "GET /b%2Fc HTTP/1.1\r\nHost: h\r\n\r\n",
		"double slash":       "GET //b HTTP/1.1\r\nHost: h\r\n\r\n",
		"dot segment":        "GET /a/../b HTTP/1.1\r\nHost: h\r\n\r\n",
		"dot at end":         "GET /a/. HTTP/1.1\r\nHost: h\r\n\r\n",
		"fragment":           "GET /b#x HTTP/1.1\r\nHost: h\r\n\r\n",
		"absolute form":      "GET http://h/b HTTP/1.1\r\nHost: h\r\n\r\n",
		"two spaces":         "GET  /b HTTP/1.1\r\nHost: h\r\n\r\n",
		"lowercase method":   "get /b HTTP/1.1\r\nHost: h\r\n\r\n",
		"two request ids":    "GET /b HTTP/1.1\r\nHost: h\r\nX-Request-Id: a\r\nX-Request-Id: b\r\n\r\n",
		"connection list":    "GET /b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, x-a\r\n\r\n",
		"non-ascii target":   "GET /b\xff HTTP/1.1\r\nHost: h\r\n\r\n",
		"cross-origin":       "GET /b HTTP/1.1\r\nHost: h\r\nOrigin: https://a.example\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			var req Request
			if _, res := parse([]byte(in), &req); res != other {
				t.Errorf("result %v, want other", res)
			}
		})
	}
}

func TestParseWaitsForTheWholeHead(t *testing.T) {
	full := "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
	for i := range len(full) - 1 {
		var req Request
		if _, res := parse([]byte(full[:i]), &req); res != incomplete {
			t.Fatalf("%q: result %v, want incomplete", full[:i], res)
		}
	}
}

// FuzzParse: whatever parse accepts, net/http reads as the same request.
func FuzzParse(f *testing.F) {
	f.Add([]byte("GET /b?job=x&s=1 HTTP/1.1\r\nHost: gw.example\r\nX-Request-Id: a\r\n\r\n"))
	f.Add([]byte("HEAD / HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("GET /a/b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var req Request
		n, res := parse(in, &req)
		if res != complete {
			return
		}
		if n > len(in) || !bytes.HasSuffix(in[:n], crlfcrlf) {
			t.Fatalf("consumed %d of %d bytes", n, len(in))
		}
		hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(in[:n])))
		if err != nil {
			t.Fatalf("parse accepted what net/http refuses: %v\n%q", err, in[:n])
		}
		switch {
		case hr.Method != req.Method, hr.RequestURI != req.Target, hr.Host != req.Host,
			hr.URL.Path != req.Path, hr.URL.RawQuery != req.RawQuery,
			hr.Header.Get("X-Request-Id") != req.RequestID, hr.Close != req.Close,
			hr.ContentLength != 0, len(hr.TransferEncoding) != 0, hr.ProtoMinor != 1:
			t.Fatalf("net/http reads another request:\nlane %+v\nhttp %s %s host %q path %q query %q close %v length %d",
				req, hr.Method, hr.RequestURI, hr.Host, hr.URL.Path, hr.URL.RawQuery, hr.Close, hr.ContentLength)
		}
		if strings.Contains(req.Path, "%") || strings.Contains(req.Path, "//") {
			t.Fatalf("path %q needs decoding or cleaning", req.Path)
		}
	})
}

// BenchmarkParse parses a signed link's request as wrk sends it.
func BenchmarkParse(b *testing.B) {
	raw := []byte("GET /bench?job=" + strings.Repeat("eyJ0YXNrcyI6eyJpbiI6eyJvcGVyYXRp", 12) +
		"&cache_key=bench-key&s=" + strings.Repeat("f3a1e4d6", 8) + " HTTP/1.1\r\nHost: 127.0.0.1:43199\r\n\r\n")
	var req Request
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, res := parse(raw, &req); res != complete {
			b.Fatal(res)
		}
	}
}

func TestVisibleNoHash(t *testing.T) {
	slow := func(b []byte) bool {
		for _, c := range b {
			if c <= ' ' || c >= 0x7f || c == '#' {
				return false
			}
		}
		return true
	}
	base := []byte("/bench?job=eyJ0YXNrcyI6&s=f3a1e4d6")
	for i := range base {
		for c := 0; c < 256; c++ {
			b := bytes.Clone(base)
			b[i] = byte(c)
			if got, want := visibleNoHash(b), slow(b); got != want {
				t.Fatalf("byte %#x at %d: got %v, want %v", c, i, got, want)
			}
		}
	}
}

// A connection parses every request into one Request: each parse must
// leave exactly its own request there, whatever came before.
func TestParseReusesTheRequest(t *testing.T) {
	var req Request
	reqs := []struct {
		raw                              string
		target, path, query, host, reqID string
	}{
		{"GET /a?x=1 HTTP/1.1\r\nHost: one.example\r\nX-Request-Id: id-1\r\n\r\n", "/a?x=1", "/a", "x=1", "one.example", "id-1"},
		{"GET /a?x=1 HTTP/1.1\r\nHost: one.example\r\n\r\n", "/a?x=1", "/a", "x=1", "one.example", ""},
		{"HEAD /b HTTP/1.1\r\nHost: two.example\r\nX-Request-Id: id-2\r\n\r\n", "/b", "/b", "", "two.example", "id-2"},
		{"GET /a?x=1 HTTP/1.1\r\nHost: one.example\r\nX-Request-Id: \r\n\r\n", "/a?x=1", "/a", "x=1", "one.example", ""},
	}
	for i, r := range reqs {
		buf := []byte(r.raw)
		if _, res := parse(buf, &req); res != complete {
			t.Fatalf("request %d: %v", i, res)
		}
		copy(buf, strings.Repeat("#", len(buf))) // the lane reuses its buffer
		got := []string{req.Target, req.Path, req.RawQuery, req.Host, req.RequestID}
		want := []string{r.target, r.path, r.query, r.host, r.reqID}
		for j := range got {
			if got[j] != want[j] {
				t.Errorf("request %d field %d: %q, want %q", i, j, got[j], want[j])
			}
		}
	}
}
