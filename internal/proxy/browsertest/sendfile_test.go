package browsertest

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// TestObjectBodiesReachSendfile follows an object's bytes through the whole
// gateway (server middleware, delivery, file origin): every writer on the
// way must keep ReadFrom, so that the copy from the file reaches the
// connection as sendfile. It needs no browser.
func TestObjectBodiesReachSendfile(t *testing.T) {
	media := t.TempDir()
	if err := os.WriteFile(filepath.Join(media, "a.mp4"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, testPages(), nil)
	sign := g.authenticatedBucket(t, "media", media)
	g.admin(t, "PUT", "/v1/buckets/open", map[string]string{"origin": "file://" + media}, nil)

	tests := []struct {
		name, url, rng string
		status         int
	}{
		{"public", g.URL + "/media/open/a.mp4", "", 200},
		{"public range", g.URL + "/media/open/a.mp4", "bytes=1000-", 206},
		{"authenticated", g.URL + "/media/media/a.mp4?auth=" + url.QueryEscape(sign("")), "", 200},
		{"authenticated range", g.URL + "/media/media/a.mp4?auth=" + url.QueryEscape(sign("")), "bytes=-1000", 206},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.url, nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			reqs := g.requests(req.URL.Path)
			last := reqs[len(reqs)-1]
			if !last.FromFile {
				t.Error("the body did not reach the outermost writer's ReadFrom from the file: sendfile is not used")
			}
		})
	}
}
