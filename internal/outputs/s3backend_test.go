package outputs

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/testutil/s3test"
)

func s3Backend(t *testing.T) S3Backend {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "outputs")
	store, err := objects.NewS3(context.Background(), objects.S3Config{
		Bucket: "outputs", Prefix: "jobs", Endpoint: srv.Endpoint(), Region: srv.Region, ForcePathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return S3Backend{Store: store}
}

func TestS3Outputs(t *testing.T) {
	b := s3Backend(t)
	f := newFixture(t, func(c *Config) { c.Backend = b; c.TTL = time.Hour })

	o := f.put(t, "hello, world", "report.txt", false)
	resp, body := do(t, "GET", o.URL, nil)
	if resp.StatusCode != 200 || body != "hello, world" || resp.Header.Get("Content-Disposition") != `attachment; filename="report.txt"` ||
		resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Content-Security-Policy") != "sandbox" {
		t.Fatalf("GET: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = do(t, "GET", o.URL, http.Header{"Range": {"bytes=7-11"}})
	if resp.StatusCode != http.StatusPartialContent || body != "world" {
		t.Errorf("Range: %d %q", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", o.URL, http.Header{"Range": {"bytes=0-4,7-11"}})
	if resp.StatusCode != http.StatusPartialContent || !strings.Contains(body, "hello") || !strings.Contains(body, "world") {
		t.Errorf("two ranges: %d %q", resp.StatusCode, body)
	}
	resp, body = do(t, "HEAD", o.URL, nil)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != 12 {
		t.Errorf("HEAD: %d %q length %d", resp.StatusCode, body, resp.ContentLength)
	}
	if resp, _ := do(t, "GET", o.URL, http.Header{"If-Modified-Since": {resp.Header.Get("Last-Modified")}}); resp.StatusCode != 304 {
		t.Errorf("If-Modified-Since: %d, want 304", resp.StatusCode)
	}

	// A name outside ASCII, inline, and a file of known size.
	u := f.put(t, "<svg/>", "café é.svg", true)
	resp, body = do(t, "GET", u.URL, nil)
	if resp.StatusCode != 200 || body != "<svg/>" || resp.Header.Get("Content-Disposition") != "inline" {
		t.Errorf("inline: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Disposition"))
	}

	// Tampered URLs are refused before S3 is asked.
	if resp, body := do(t, "GET", strings.Replace(o.URL, "sig=", "sig=0", 1), nil); resp.StatusCode != 403 {
		t.Errorf("tampered: %d %s", resp.StatusCode, body)
	}

	// The janitor removes outputs whose expiry day has passed.
	if n, err := f.store.Sweep(context.Background()); err != nil || n != 0 {
		t.Errorf("sweep before expiry: %d %v", n, err)
	}
	f.clock.Add(25 * time.Hour)
	if n, err := f.store.Sweep(context.Background()); err != nil || n != 2 {
		t.Errorf("sweep after expiry: %d %v, want 2 removed", n, err)
	}
	for info, err := range b.Store.List(context.Background(), "") {
		t.Errorf("left after the sweep: %+v %v", info, err)
	}
}

func TestS3OutputsPresigned(t *testing.T) {
	b := s3Backend(t)
	f := newFixture(t, func(c *Config) { c.Backend = b; c.Presigned = true; c.Now = time.Now })
	o := f.put(t, "presigned bytes", "résumé.pdf", false)
	if !strings.Contains(o.URL, "X-Amz-Signature=") || strings.HasPrefix(o.URL, f.srv.URL) {
		t.Fatalf("URL %s is not a presigned S3 URL", o.URL)
	}
	resp, body := do(t, "GET", o.URL, nil)
	if resp.StatusCode != 200 || body != "presigned bytes" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf") ||
		resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("presigned GET: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if _, err := New(Config{Backend: Dir{Root: t.TempDir()}, Secret: []byte("secret-secret-secret"), Presigned: true, JanitorInterval: -1}); err == nil {
		t.Error("presigned URLs accepted for outputs on a disk")
	}
}
