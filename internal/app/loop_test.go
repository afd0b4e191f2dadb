package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/bucket"
)

// counted is an instance served by a plain net/http server, counting the
// requests that reach it; past 50 it answers 503 itself, so that a loop
// stays finite. It is configured as the binary is by default.
type counted struct {
	*apptest.Gateway
	hits atomic.Int64
}

func startCounted(t *testing.T) *counted {
	t.Helper()
	c := &counted{Gateway: apptest.New(t, map[string]string{
		"GATEWAY_ADDR": ":8080", "GATEWAY_PUBLIC_URL": "", "GATEWAY_ADMIN_TOKEN": "",
	})}
	h := c.App.Handler()
	c.ServeHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.hits.Add(1) > 50 {
			http.Error(w, "runaway", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	return c
}

// putBucket stores a bucket directly, past the admin API's checks, as a
// bucket made before them would be.
func (c *counted) putBucket(t *testing.T, name, origin string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	b := bucket.Bucket{Name: name, Origin: origin, Policy: bucket.Public, Created: now, Updated: now}
	if err := c.App.Buckets.Put(context.Background(), name, b); err != nil {
		t.Fatal(err)
	}
}

func getJSON(t *testing.T, url string) (int, map[string]any, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return res.StatusCode, body, string(raw)
}

// TestBucketOriginAtTheGatewayStopsAfterOneHop: a public bucket whose
// origin is the gateway's own /media/ route for it, served on a real
// listener. One viewer request used to become thousands.
func TestBucketOriginAtTheGatewayStopsAfterOneHop(t *testing.T) {
	gw := startCounted(t)
	gw.putBucket(t, "loop", gw.URL+"/media/loop")
	code, body, raw := getJSON(t, gw.URL+"/media/loop/a.mp4")
	if code != http.StatusLoopDetected || body["code"] != "LOOP_DETECTED" || gw.hits.Load() != 2 {
		t.Fatalf("got %d %s after %d requests, want 508 LOOP_DETECTED after 2", code, raw, gw.hits.Load())
	}
}

// TestLoopThroughTwoInstances: a bucket of one instance leads to a bucket
// of another, which leads back. Each instance proxies a request once.
func TestLoopThroughTwoInstances(t *testing.T) {
	a, b := startCounted(t), startCounted(t)
	a.putBucket(t, "one", b.URL+"/media/two")
	b.putBucket(t, "two", a.URL+"/media/one")
	code, body, raw := getJSON(t, a.URL+"/media/one/a.mp4")
	if code != http.StatusLoopDetected || body["code"] != "LOOP_DETECTED" || a.hits.Load() != 2 || b.hits.Load() != 1 {
		t.Fatalf("got %d %s after %d+%d requests, want 508 after 2+1", code, raw, a.hits.Load(), b.hits.Load())
	}
}

// TestBucketOriginCannotBeTheGatewayItself: the admin API refuses origins
// at the gateway's own addresses and directories.
func TestBucketOriginCannotBeTheGatewayItself(t *testing.T) {
	data, media := t.TempDir(), t.TempDir()
	in := start(t, map[string]string{
		"GATEWAY_DATA_DIR":   data,
		"GATEWAY_ADDR":       ":8080",
		"GATEWAY_PUBLIC_URL": "https://gw.example.com",
	})
	if err := os.MkdirAll(filepath.Join(data, "outputs"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "innocent-looking")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ origin, mentions string }{
		{"http://127.0.0.1:8080/media/loop", "GATEWAY_ADDR"},
		{"http://localhost:8080/media/loop", "GATEWAY_ADDR"},
		{"http://[::1]:8080/media/loop", "GATEWAY_ADDR"},
		{"http://0.0.0.0:8080/media/loop", "GATEWAY_ADDR"},
		{"https://gw.example.com/media/loop", "GATEWAY_PUBLIC_URL"},
		{"https://GW.EXAMPLE.COM:443/x", "GATEWAY_PUBLIC_URL"},
		{"file://" + data, "GATEWAY_DATA_DIR"},
		{"file://" + link, "GATEWAY_DATA_DIR"},
		{"file://" + filepath.Dir(data), "GATEWAY_DATA_DIR"},
		{"file://" + filepath.Join(data, "outputs"), "GATEWAY_DATA_DIR"},
		{"file:///", "root directory"},
		{"file://" + os.TempDir(), "the gateway's own files"},
	} {
		code, body := in.do(t, "PUT", "/v1/buckets/self", `{"origin":"`+tc.origin+`"}`)
		msg, _ := body["message"].(string)
		if code != 400 || body["code"] != "INVALID_DATA" || !strings.Contains(msg, tc.mentions) {
			t.Errorf("origin %s: got %d %v, want 400 INVALID_DATA mentioning %q", tc.origin, code, body, tc.mentions)
		}
	}
	for _, ok := range []string{"file://" + media, "http://127.0.0.1:8081/media", "https://cdn.example.com/x"} {
		if code, body := in.do(t, "PUT", "/v1/buckets/fine", `{"origin":"`+ok+`"}`); code != 201 && code != 200 {
			t.Errorf("origin %s: got %d %v", ok, code, body)
		}
	}
}

// TestDataDirBucketIsNotServed: a bucket on the data directory made before
// the admin API refused it does not publish the admin token.
func TestDataDirBucketIsNotServed(t *testing.T) {
	gw := startCounted(t)
	gw.putBucket(t, "data", "file://"+gw.App.Config.DataDir)
	code, _, raw := getJSON(t, gw.URL+"/media/data/"+app.AdminTokenFile)
	if leaked := strings.Contains(raw, gw.App.AdminToken); code != http.StatusServiceUnavailable || leaked {
		t.Fatalf("got %d (admin token in the body: %v), want 503 without the token", code, leaked) // never print the body: it may be the token
	}
}
