package proxy_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// TestS3BucketThroughTheGateway serves an s3:// bucket of a real S3 server,
// authenticated, through a whole gateway: what a player gets is what a
// file:// bucket gives, the storage's secret is never shown or logged, and
// nothing outside the origin's prefix is reachable.
func TestS3BucketThroughTheGateway(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "media")
	film := bytes.Repeat([]byte("0123456789"), 100)
	for key, data := range map[string][]byte{
		"films/a.mp4":           film,
		"films/a film é.mp4":    []byte("unicode name"),
		"films/sub/b.m3u8":      []byte("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg0.ts\n#EXT-X-ENDLIST\n"),
		"secret.txt":            []byte("outside the prefix"),
		"films-private/key.txt": []byte("a sibling prefix"),
	} {
		if _, err := srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String("media"), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	in := startApp(t, map[string]string{"GATEWAY_LOG_LEVEL": "debug"})
	settings := map[string]any{
		"endpoint": srv.Endpoint(), "region": srv.Region, "force_path_style": true,
		"access_key_id": srv.AccessKey, "secret_access_key": srv.SecretKey,
	}
	var created map[string]any
	if st := in.Admin(t, "PUT", "/v1/buckets/vids", map[string]any{
		"origin": "s3://media/films/", "policy": "authenticated", "s3": settings}, &created); st != http.StatusCreated {
		t.Fatalf("create bucket: %d %v", st, created)
	}
	var got map[string]any
	in.Admin(t, "GET", "/v1/buckets/vids", nil, &got)
	for _, answer := range []map[string]any{created, got} {
		b := answer["bucket"].(map[string]any)
		s3 := b["s3"].(map[string]any)
		if b["origin"] != "s3://media/films" || s3["access_key_id"] != srv.AccessKey || s3["secret_access_key"] != nil {
			t.Errorf("bucket as shown: %v", b)
		}
	}
	// A public bucket on the same storage needs no token.
	if st := in.Admin(t, "PUT", "/v1/buckets/open", map[string]any{
		"origin": "s3://media/films", "policy": "public", "s3": settings}, nil); st != http.StatusCreated {
		t.Fatalf("create public bucket: %d", st)
	}
	if st, body, hdr := fetch(t, in.URL+"/media/open/a.mp4", "", map[string]string{"Range": "bytes=0-9"}); st != 206 || body != "0123456789" || hdr.Get("Content-Range") != "bytes 0-9/1000" {
		t.Errorf("public bucket, Range: %d %q %q", st, body, hdr.Get("Content-Range"))
	}
	if st, _, _ := fetch(t, in.URL+"/media/open/missing.mp4", "", nil); st != http.StatusNotFound {
		t.Errorf("public bucket, missing object: %d", st)
	}
	var k keyAnswer
	if st := in.Admin(t, "POST", "/v1/signing-keys", map[string]string{"bucket": "vids"}, &k); st != 201 {
		t.Fatalf("create key: %d", st)
	}
	tok := signWith(t, k, tokenClaimsAll())
	url := func(path string) string { return in.URL + "/media/vids/" + path + "?auth=" + tok }

	if st, _, _ := fetch(t, in.URL+"/media/vids/a.mp4", "", nil); st != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", st)
	}
	st, body, hdr := fetch(t, url("a.mp4"), "", nil)
	if st != 200 || body != string(film) || hdr.Get("Content-Type") != "video/mp4" || hdr.Get("ETag") == "" {
		t.Fatalf("GET: %d %q %v", st, body[:min(len(body), 40)], hdr)
	}
	etag := hdr.Get("ETag")
	if st, body, hdr := fetch(t, url("a.mp4"), "", map[string]string{"Range": "bytes=995-"}); st != 206 || body != "56789" || hdr.Get("Content-Range") != "bytes 995-999/1000" {
		t.Errorf("Range: %d %q %q", st, body, hdr.Get("Content-Range"))
	}
	if st, _, hdr := fetch(t, url("a.mp4"), "", map[string]string{"Range": "bytes=1000-"}); st != 416 || hdr.Get("Content-Range") != "bytes */1000" {
		t.Errorf("Range past the end: %d %q", st, hdr.Get("Content-Range"))
	}
	if st, _, _ := fetch(t, url("a.mp4"), "", map[string]string{"If-None-Match": etag}); st != 304 {
		t.Errorf("If-None-Match: %d, want 304", st)
	}
	if st, body, _ := fetch(t, url("a%20film%20%C3%A9.mp4"), "", nil); st != 200 || body != "unicode name" {
		t.Errorf("key with a space and é: %d %q", st, body)
	}
	for _, path := range []string{"nothing.mp4", "..%2Fsecret.txt", "%2E%2E/secret.txt", "..%2Ffilms-private%2Fkey.txt", "sub"} {
		if st, body, _ := fetch(t, url(path), "", nil); st == 200 || strings.Contains(body, "outside") || strings.Contains(body, "sibling") {
			t.Errorf("%s: %d %q; want it refused", path, st, body)
		}
	}
	// A playlist from S3 is rewritten like one from a disk: its segments
	// carry the token.
	if st, body, _ := fetch(t, url("sub/b.m3u8"), "", nil); st != 200 || !strings.Contains(body, "seg0.ts?auth="+tok) {
		t.Errorf("playlist: %d %q", st, body)
	}
	req, _ := http.NewRequest(http.MethodHead, url("a.mp4"), nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 || res.ContentLength != 1000 {
		t.Errorf("HEAD: %v %v", res, err)
	}

	// A PUT naming the same key id without the secret keeps it.
	delete(settings, "secret_access_key")
	if st := in.Admin(t, "PUT", "/v1/buckets/vids", map[string]any{"origin": "s3://media/films", "s3": settings}, nil); st != 200 {
		t.Fatalf("update bucket: %d", st)
	}
	waitFor(t, func() bool { st, _, _ := fetch(t, url("a.mp4"), "", nil); return st == 200 })

	// A wrong secret: the storage refuses the gateway, 502, and the
	// secret shows nowhere.
	const wrong = "wrong-secret-that-must-not-show-0123"
	settings["secret_access_key"] = wrong
	if st := in.Admin(t, "PUT", "/v1/buckets/vids", map[string]any{"origin": "s3://media/films", "s3": settings}, nil); st != 200 {
		t.Fatalf("update bucket: %d", st)
	}
	var last string
	waitFor(t, func() bool {
		var st int
		st, last, _ = fetch(t, url("a.mp4"), "", nil)
		return st == http.StatusBadGateway
	})
	if strings.Contains(last, wrong) || strings.Contains(last, srv.SecretKey) {
		t.Errorf("the answer shows a secret: %s", last)
	}
	logs := in.Logged()
	if strings.Contains(logs, wrong) || strings.Contains(logs, srv.SecretKey) {
		t.Errorf("the log shows a secret")
	}
	if !strings.Contains(logs, "/media/vids/a.mp4") {
		t.Errorf("the log was not captured (no access line)")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
