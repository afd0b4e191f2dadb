package origin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server"
)

func TestHTTPOriginMarksAndRefusesItsOwnRequests(t *testing.T) {
	up := newUpstream(t, nil)
	srv := serveBucket(t, NewPool(Options{InstanceID: "gateway-0123456789abcdef"}), up.URL+"/prefix")

	res, _ := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{"Via": "1.1 cdn-edge (Edge)"})
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := (<-up.got).Header.Values("Via"); len(got) != 2 || got[0] != "1.1 cdn-edge (Edge)" || got[1] != "1.1 gateway-0123456789abcdef" {
		t.Errorf("upstream got Via %q, want the CDN's entry then this instance's", got)
	}

	for _, via := range []string{
		"1.1 gateway-0123456789abcdef",
		"1.0 cdn, 1.1 gateway-0123456789abcdef (x)",
		"HTTP/2 gateway-0123456789abcdef",
	} {
		res, body := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{"Via": via})
		var b server.ErrorBody
		_ = json.Unmarshal(body, &b)
		if res.StatusCode != http.StatusLoopDetected || b.Code != CodeLoopDetected {
			t.Errorf("Via %q: got %d %s, want 508 %s", via, res.StatusCode, body, CodeLoopDetected)
		}
	}
	select {
	case r := <-up.got:
		t.Errorf("a looping request reached the upstream: %s", r.URL)
	default:
	}
	// Another instance's mark, or a look-alike, is not this one's.
	for _, via := range []string{"1.1 gateway-ffffffffffffffff", "1.1 gateway-0123456789abcdef0", "1.1 x-gateway-0123456789abcdef"} {
		if res, _ := do(t, "GET", srv.URL+"/films/a.mp4", map[string]string{"Via": via}); res.StatusCode != 200 {
			t.Errorf("Via %q: status %d, want 200", via, res.StatusCode)
		}
		<-up.got
	}
}

// TestHTTPOriginLoopEndsAfterOneHop: an origin that is the gateway
// itself. Without the mark, every request would make another one.
func TestHTTPOriginLoopEndsAfterOneHop(t *testing.T) {
	var hits atomic.Int64
	var origin http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) > 50 {
			http.Error(w, "runaway", http.StatusServiceUnavailable) // keep a failing test finite
			return
		}
		origin.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p := NewPool(Options{InstanceID: "gateway-self"})
	t.Cleanup(p.Close)
	h, err := p.Handler(bucket.Bucket{Name: "b", Origin: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	origin = h
	res, body := do(t, "GET", srv.URL+"/x.mp4", nil)
	if res.StatusCode != http.StatusLoopDetected || hits.Load() != 2 {
		t.Fatalf("status %d after %d requests (%s), want 508 after 2", res.StatusCode, hits.Load(), body)
	}
}

// TestFileOriginRechecksItsDirectory: a directory swapped in under a
// bucket's path is checked before it is served.
func TestFileOriginRechecksItsDirectory(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "media", "a.mp4"), []byte("film"))
	writeFile(t, filepath.Join(base, "data", "admin-token"), []byte("secret"))
	current := filepath.Join(base, "current")
	if err := os.Symlink(filepath.Join(base, "media"), current); err != nil {
		t.Fatal(err)
	}
	guard := &bucket.Guard{Dirs: []bucket.ProtectedDir{{Path: filepath.Join(base, "data"), What: "the data directory"}}}
	srv := serveBucket(t, NewPool(Options{CheckDir: guard.CheckDir}), "file://"+current)
	if res, body := do(t, "GET", srv.URL+"/a.mp4", nil); res.StatusCode != 200 || string(body) != "film" {
		t.Fatalf("before the swap: %d %q", res.StatusCode, body)
	}
	next := filepath.Join(base, "next")
	if err := os.Symlink(filepath.Join(base, "data"), next); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(next, current); err != nil {
		t.Fatal(err)
	}
	res, body := do(t, "GET", srv.URL+"/admin-token", nil)
	if res.StatusCode != http.StatusServiceUnavailable || string(body) == "secret" {
		t.Fatalf("after the swap: %d %q, want 503", res.StatusCode, body)
	}
}

func FuzzPassedThrough(f *testing.F) {
	for _, s := range []string{"1.1 gateway-a", "1.0 x, 1.1 gateway-a (c)", "", ",,", "HTTP/2 gateway-a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, via string) {
		h := http.Header{}
		h.Add("Via", via)
		got := passedThrough(h, "gateway-a")
		if !strings.Contains(via, "gateway-a") && got {
			t.Fatalf("Via %q taken for this instance's", via)
		}
		// An entry appended as the proxy writes it is always recognised.
		h.Add("Via", "1.1 gateway-a")
		if !passedThrough(h, "gateway-a") {
			t.Fatalf("Via %q, 1.1 gateway-a: own mark missed", via)
		}
	})
}
