package origin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/server"
)

func TestFileOriginRefusesWhatIsNotAnObjectInside(t *testing.T) {
	srv, dir := fileBucket(t)
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.txt"), []byte("secret"))
	writeFile(t, filepath.Join(dir, "films", "b.mp4"), object)
	links := map[string]string{
		"escape.txt":      filepath.Join(outside, "secret.txt"),
		"escape-dir":      outside,
		"relative.txt":    "../" + filepath.Base(outside) + "/secret.txt",
		"inside.mp4":      filepath.Join(dir, "films", "b.mp4"),
		"films/alias.mp4": "b.mp4",
		"loop":            "loop",
		"dangling.mp4":    filepath.Join(dir, "missing.mp4"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// The escaping links must lead somewhere real, or their 404 would
	// prove nothing.
	for _, name := range []string{"escape.txt", "escape-dir/secret.txt", "relative.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("test setup: %s does not resolve: %v", name, err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.mp4"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		path   string
		status int
	}{
		{"/films/a.mp4", 200},
		{"/inside.mp4", 200},      // a link that stays inside is served
		{"/films/alias.mp4", 200}, // so is a relative one
		{"/escape.txt", 404},      // a link to a file outside is refused
		{"/escape-dir/secret.txt", 404},
		{"/relative.txt", 404},
		{"/loop", 404},
		{"/dangling.mp4", 404},
		{"/films", 404}, // directories are not listed
		{"/films/", 404},
		{"/", 404},
		{"/fifo.mp4", 404}, // not a regular file; must not hang
		{"/missing.mp4", 404},
		{"/films/a.mp4/x", 404},    // a file used as a directory
		{"/films/index.html", 404}, // no index.html magic either
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := do(t, "GET", srv.URL+tt.path, nil)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %s)", res.StatusCode, tt.status, body)
			}
			if tt.status == 404 {
				var b server.ErrorBody
				if err := json.Unmarshal(body, &b); err != nil || b.Code != CodeObjectNotFound {
					t.Errorf("body %s, want code %s", body, CodeObjectNotFound)
				}
				if strings.Contains(string(body), outside) || strings.Contains(string(body), dir) {
					t.Errorf("body names a host directory: %s", body)
				}
			}
		})
	}
}

// The handler alone keeps reads inside the directory, even when a caller
// hands it a path it did not clean.
func TestFileOriginCleansPathItself(t *testing.T) {
	_, dir := fileBucket(t)
	parent := filepath.Dir(dir)
	writeFile(t, filepath.Join(parent, "sibling.mp4"), object)
	h, err := newFileOrigin(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/../sibling.mp4", "../sibling.mp4", "/films/../../sibling.mp4", "/films/a.mp4\x00"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = p
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound {
			t.Errorf("%q: status %d, want 404", p, w.Code)
		}
	}
}

// ServeContent's plain-text refusals come out in the gateway's JSON shape,
// with the headers that matter kept.
func TestFileOriginRefusalsAreJSON(t *testing.T) {
	srv, _ := fileBucket(t)
	tests := []struct {
		name, header, value string
		status              int
		code, contentRange  string
	}{
		{"range past the end", "Range", "bytes=1000-", 416, CodeRangeNotSatisfiable, "bytes */1000"},
		{"if-match", "If-Match", `"nope"`, 412, CodePreconditionFailed, ""},
		{"if-unmodified-since", "If-Unmodified-Since", objectTime.Add(-time.Hour).Format(http.TimeFormat), 412, CodePreconditionFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{tt.header: tt.value})
			var b server.ErrorBody
			if err := json.Unmarshal(body, &b); err != nil || b.Code != tt.code {
				t.Fatalf("body %s, want JSON with code %s", body, tt.code)
			}
			if res.StatusCode != tt.status || res.Header.Get("Content-Range") != tt.contentRange {
				t.Errorf("status %d Content-Range %q, want %d %q", res.StatusCode, res.Header.Get("Content-Range"), tt.status, tt.contentRange)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type %q, want application/json", got)
			}
		})
	}
}

func TestFileOriginETagFollowsContent(t *testing.T) {
	srv, dir := fileBucket(t)
	first, _ := do(t, "GET", srv.URL+"/films/a.mp4", nil)
	// Same size, new bytes, new mtime: an edit in place.
	writeFile(t, filepath.Join(dir, "films", "a.mp4"), []byte(strings.Repeat("z", len(object))))
	later := objectTime.Add(time.Second)
	if err := os.Chtimes(filepath.Join(dir, "films", "a.mp4"), later, later); err != nil {
		t.Fatal(err)
	}
	res, body := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{"If-None-Match": first.Header.Get("ETag")})
	if res.StatusCode != 200 || body[0] != 'z' {
		t.Fatalf("status %d after the object changed, want 200 with the new bytes", res.StatusCode)
	}
	if res.Header.Get("ETag") == first.Header.Get("ETag") {
		t.Errorf("ETag %s did not change with the content", res.Header.Get("ETag"))
	}
}

func TestFileOriginSandboxesActiveTypes(t *testing.T) {
	srv, dir := fileBucket(t)
	writeFile(t, filepath.Join(dir, "logo.svg"), []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	writeFile(t, filepath.Join(dir, "blob"), []byte("<html><script>alert(1)</script>"))
	tests := []struct{ path, contentType, csp string }{
		{"/logo.svg", "image/svg+xml", "sandbox"},
		{"/blob", "application/octet-stream", ""}, // never sniffed as HTML
		{"/films/a.mp4", "video/mp4", ""},
	}
	for _, tt := range tests {
		res, _ := do(t, "GET", srv.URL+tt.path, nil)
		if got := res.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, got, tt.contentType)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != tt.csp {
			t.Errorf("%s: Content-Security-Policy %q, want %q", tt.path, got, tt.csp)
		}
	}
}

// readFromSpy stands for the server's middleware recorder: it tells whether
// the body reached ReadFrom with the file itself as the source, which is
// what lets net/http hand the copy to sendfile.
type readFromSpy struct {
	http.ResponseWriter
	sources []io.Reader
}

func (s *readFromSpy) ReadFrom(src io.Reader) (int64, error) {
	s.sources = append(s.sources, src)
	return io.Copy(s.ResponseWriter, src)
}

func TestFileOriginBodyReachesReadFrom(t *testing.T) {
	_, dir := fileBucket(t)
	h, err := newFileOrigin(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rng := range []string{"", "bytes=100-"} {
		spy := &readFromSpy{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			spy.ResponseWriter = w
			h.ServeHTTP(spy, r)
		}))
		res, body := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{"Range": rng})
		srv.Close()
		if res.StatusCode/100 != 2 || len(body) == 0 {
			t.Fatalf("range %q: status %d, %d bytes", rng, res.StatusCode, len(body))
		}
		if len(spy.sources) != 1 {
			t.Fatalf("range %q: ReadFrom called %d times, want once", rng, len(spy.sources))
		}
		lr, ok := spy.sources[0].(*io.LimitedReader)
		if !ok {
			t.Fatalf("range %q: ReadFrom got %T, want *io.LimitedReader over the file", rng, spy.sources[0])
		}
		if _, ok := lr.R.(*os.File); !ok {
			t.Errorf("range %q: ReadFrom reads from %T, want *os.File", rng, lr.R)
		}
	}
}

// The bucket's directory is kept open between requests; a directory
// swapped in under its path (a deploy moving a symlink) is served at once,
// and one removed stops being served.
func TestFileOriginFollowsTheDirectoryAtItsPath(t *testing.T) {
	base := t.TempDir()
	for _, v := range []string{"v1", "v2"} {
		writeFile(t, filepath.Join(base, v, "films", "a.mp4"), []byte("release "+v))
	}
	current := filepath.Join(base, "current")
	if err := os.Symlink(filepath.Join(base, "v1"), current); err != nil {
		t.Fatal(err)
	}
	srv := serveBucket(t, NewPool(Options{}), "file://"+current)
	get := func() (int, string) {
		res, body := do(t, "GET", srv.URL+"/films/a.mp4", nil)
		return res.StatusCode, string(body)
	}
	if code, body := get(); code != 200 || body != "release v1" {
		t.Fatalf("before the swap: %d %q", code, body)
	}
	// Swap atomically, as deploy tools do.
	next := filepath.Join(base, "next")
	if err := os.Symlink(filepath.Join(base, "v2"), next); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, current); err != nil {
		t.Fatal(err)
	}
	if code, body := get(); code != 200 || body != "release v2" {
		t.Fatalf("after the swap: %d %q", code, body)
	}
	if err := os.Remove(current); err != nil {
		t.Fatal(err)
	}
	if code, body := get(); code != http.StatusServiceUnavailable {
		t.Fatalf("directory gone: %d %q", code, body)
	}
}
