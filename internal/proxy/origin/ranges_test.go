package origin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/server"
)

// TestFileOriginDegenerateRanges: every answer to a Range is either a 206
// whose ranges lie inside the object, a 200, or a 416 that gives the size.
func TestFileOriginDegenerateRanges(t *testing.T) {
	srv, dir := fileBucket(t)
	writeFile(t, filepath.Join(dir, "13.txt"), []byte("hello, world\n"))
	writeFile(t, filepath.Join(dir, "empty.txt"), nil)
	tests := []struct {
		path, rng    string
		status       int
		contentRange string
		body         string
	}{
		{"/13.txt", "bytes=-0", 416, "bytes */13", ""},
		{"/13.txt", "bytes=-00", 416, "bytes */13", ""},
		{"/13.txt", "bytes= -0 ", 416, "bytes */13", ""},
		{"/13.txt", "bytes=,-0", 416, "bytes */13", ""},
		{"/13.txt", "bytes=-0,-0", 416, "bytes */13", ""},
		{"/13.txt", "bytes=5-4", 416, "bytes */13", ""},
		{"/13.txt", "bytes=-", 416, "bytes */13", ""},
		{"/13.txt", "bytes=", 200, "", "hello, world\n"},
		{"/13.txt", "bytes=a-b", 416, "bytes */13", ""},
		{"/13.txt", "bytes=20-,30-", 416, "bytes */13", ""},
		{"/13.txt", "bytes=13-", 416, "bytes */13", ""},
		{"/13.txt", "bytes=99999999999999999999-", 416, "bytes */13", ""},
		// A satisfiable range next to "-0" is served alone.
		{"/13.txt", "bytes=0-0,-0", 206, "bytes 0-0/13", "h"},
		{"/13.txt", "bytes=-0,7-", 206, "bytes 7-12/13", "world\n"},
		// A last position or suffix past the end means "to the end".
		{"/13.txt", "bytes=7-99999999999999999999", 206, "bytes 7-12/13", "world\n"},
		{"/13.txt", "bytes=-99999999999999999999", 206, "bytes 0-12/13", "hello, world\n"},
		{"/13.txt", "bytes=-1", 206, "bytes 12-12/13", "\n"},
		{"/13.txt", "BYTES=0-4", 206, "bytes 0-4/13", "hello"},
		// Unknown units are ignored.
		{"/13.txt", "items=0-4", 200, "", "hello, world\n"},
		{"/13.txt", "-0", 200, "", "hello, world\n"},
		// An empty object is served whole for any range.
		{"/empty.txt", "bytes=-0", 200, "", ""},
		{"/empty.txt", "bytes=-5", 200, "", ""},
		{"/empty.txt", "bytes=0-", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.rng, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				res, body := do(t, method, srv.URL+tt.path, map[string]string{"Range": tt.rng})
				if res.StatusCode != tt.status || res.Header.Get("Content-Range") != tt.contentRange {
					t.Fatalf("%s: %d Content-Range %q, want %d %q", method, res.StatusCode, res.Header.Get("Content-Range"), tt.status, tt.contentRange)
				}
				if method == "HEAD" {
					continue
				}
				if tt.status == 416 {
					var b server.ErrorBody
					if err := json.Unmarshal(body, &b); err != nil || b.Code != CodeRangeNotSatisfiable {
						t.Errorf("body %s, want code %s", body, CodeRangeNotSatisfiable)
					}
				} else if string(body) != tt.body {
					t.Errorf("body %q, want %q", body, tt.body)
				}
			}
		})
	}
}

func TestNormalizeRange(t *testing.T) {
	tests := []struct {
		in   string
		size int64
		out  string
		keep bool
	}{
		{"bytes=0-4", 13, "bytes=0-4", true},
		{"bytes=-5", 13, "bytes=8-12", true},
		{"bytes=-50", 13, "bytes=0-12", true},
		{"bytes=10-", 13, "bytes=10-12", true},
		{"bytes=0-1, 5-6", 13, "bytes=0-1,5-6", true},
		{"bytes=-0", 13, "bytes=13-", true},
		{"bytes=0-0,-0,20-", 13, "bytes=0-0", true},
		{"bytes=5-4", 13, "bytes=13-", true},
		{"bytes=1-2,x", 13, "bytes=13-", true},
		{"bytes=+1-2", 13, "bytes=13-", true},
		{"bytes=1-2-3", 13, "bytes=13-", true},
		{"bytes=-5", 0, "", false},
		{"pages=1-2", 13, "", false},
		{"", 13, "", false},
	}
	for _, tt := range tests {
		out, keep := normalizeRange(tt.in, tt.size)
		if out != tt.out || keep != tt.keep {
			t.Errorf("normalizeRange(%q, %d) = %q, %v; want %q, %v", tt.in, tt.size, out, keep, tt.out, tt.keep)
		}
	}
}

// FuzzNormalizeRange serves a small object with ServeContent under the
// normalised header and checks the answer is coherent; and where
// ServeContent's answer to the raw header already was, that the answer is
// the same.
func FuzzNormalizeRange(f *testing.F) {
	for _, s := range []string{"bytes=-0", "bytes=0-0,-0", "bytes=5-4", "bytes=-", "bytes=1-2,3-4",
		"bytes=99999999999999999999-", "bytes=0-99999999999999999999", "BYTES=1-", "bytes= 1 - 2 ", "bytes=,,1-1"} {
		f.Add(s, uint8(13))
	}
	f.Fuzz(func(t *testing.T, header string, size uint8) {
		content := bytes.Repeat([]byte("0123456789abcdef"), 16)[:size]
		serve := func(rng string, keep bool) *httptest.ResponseRecorder {
			r := httptest.NewRequest("GET", "/", nil)
			if keep {
				r.Header.Set("Range", rng)
			}
			w := httptest.NewRecorder()
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
			return w
		}
		out, keep := normalizeRange(header, int64(size))
		got := serve(out, keep)
		parts := checkRangeAnswer(t, got, content)

		// Where ServeContent's own answer to the raw header was right, the
		// normalised header must give the same one. Its leniencies that
		// RFC 9110 does not share (a sign: "+1-2", "0--0") are left out.
		if strings.ContainsAny(header, "+\r\n") || strings.ContainsRune(header, 0) || signedLast.MatchString(header) {
			return
		}
		raw := serve(header, true)
		if raw.Code != 200 && raw.Code != 206 {
			return
		}
		rawParts, ok := tryRangeAnswer(raw, content)
		if !ok {
			return
		}
		if raw.Code != got.Code || fmt.Sprint(rawParts) != fmt.Sprint(parts) {
			t.Fatalf("Range %q size %d: ServeContent answered %d %v, normalised %q answers %d %v",
				header, size, raw.Code, rawParts, out, got.Code, parts)
		}
	})
}

// checkRangeAnswer fails unless w is a coherent answer for content, and
// returns its parts as "first-last" strings ("all" for a 200).
func checkRangeAnswer(t *testing.T, w *httptest.ResponseRecorder, content []byte) []string {
	t.Helper()
	if w.Code == http.StatusRequestedRangeNotSatisfiable {
		if want := "bytes */" + strconv.Itoa(len(content)); w.Header().Get("Content-Range") != want {
			t.Fatalf("416 with Content-Range %q, want %q", w.Header().Get("Content-Range"), want)
		}
		return nil
	}
	parts, ok := tryRangeAnswer(w, content)
	if !ok {
		t.Fatalf("incoherent answer %d, Content-Range %q, %d bytes", w.Code, w.Header().Get("Content-Range"), w.Body.Len())
	}
	return parts
}

var signedLast = regexp.MustCompile(`-[ \t]*-`)

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

func tryRangeAnswer(w *httptest.ResponseRecorder, content []byte) ([]string, bool) {
	switch w.Code {
	case http.StatusOK:
		return []string{"all"}, bytes.Equal(w.Body.Bytes(), content)
	case http.StatusPartialContent:
	default:
		return nil, false
	}
	check := func(cr string, body []byte) (string, bool) {
		m := contentRangeRE.FindStringSubmatch(cr)
		if m == nil {
			return "", false
		}
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		if n != len(content) || a > b || b >= n || !bytes.Equal(body, content[a:b+1]) {
			return "", false
		}
		return m[1] + "-" + m[2], true
	}
	mt, params, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
	if mt != "multipart/byteranges" {
		p, ok := check(w.Header().Get("Content-Range"), w.Body.Bytes())
		return []string{p}, ok
	}
	var parts []string
	mr := multipart.NewReader(w.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts, len(parts) > 0
		}
		if err != nil {
			return nil, false
		}
		body, _ := io.ReadAll(p)
		s, ok := check(p.Header.Get("Content-Range"), body)
		if !ok {
			return nil, false
		}
		parts = append(parts, s)
	}
}

// An HTTP origin's ranges are the upstream's: the gateway does not know
// the size, so it forwards the Range header as it came and passes the
// answer back, whatever it is.
func TestHTTPOriginForwardsRangeAsItCame(t *testing.T) {
	up := newUpstream(t, nil)
	srv := serveBucket(t, NewPool(Options{}), up.URL+"/prefix")
	for _, rng := range []string{"bytes=-0", "bytes=5-4", "bytes=-", "bytes=20000-,30000-", "bytes=99999999999999999999-", "bytes=0-0,-0"} {
		res, _ := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{"Range": rng})
		got := <-up.got
		if got.Header.Get("Range") != rng {
			t.Errorf("upstream got Range %q, want %q", got.Header.Get("Range"), rng)
		}
		if res.StatusCode >= 500 {
			t.Errorf("Range %q: status %d", rng, res.StatusCode)
		}
	}
}
