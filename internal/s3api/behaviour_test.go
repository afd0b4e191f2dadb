package s3api_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A presigned PUT from a page of an allowed origin: the preflight is
// answered from the bucket's CORS rule, the PUT carries the grant, and an
// origin not on the list is refused.
func TestBrowserUploadPreflight(t *testing.T) {
	g := start(t, nil)
	makeBucket(t, g, "films", "", nil)
	if st := g.Admin(t, http.MethodPut, "/v1/buckets/films", map[string]any{"origin": "file://" + t.TempDir(), "policy": "authenticated",
		"cors": map[string]any{"allowed_origins": []string{"https://app.example"}}}, nil); st != 200 && st != 201 {
		t.Fatalf("bucket with cors: %d", st)
	}
	k := makeKey(t, g, "films", "write")
	put := presign(t, g, k, http.MethodPut, "films", "up/photo.jpg", time.Now(), time.Hour)
	pre := do(t, http.MethodOptions, put, nil, map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type",
	})
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	res := do(t, http.MethodPut, put, strings.NewReader("jpeg bytes"), map[string]string{"Origin": "https://app.example", "Content-Type": "image/jpeg"})
	if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(res.header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("PUT: %d %v", res.status, res.header)
	}
	bad := do(t, http.MethodOptions, put, nil, map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"})
	if bad.status != http.StatusForbidden || bad.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %d %v", bad.status, bad.header)
	}
}

// Checksums: a wrong Content-MD5 or x-amz-checksum-crc32 fails the upload
// and stores nothing; the empty-body CRC32 that SDKs put into presigned
// PUTs does not fail a real upload; a length short of Content-Length is
// refused.
func TestChecksums(t *testing.T) {
	g := start(t, nil)
	dir := makeBucket(t, g, "films", "", nil)
	k := makeKey(t, g, "films", "read", "write")
	c := client(g, k)

	sum := md5.Sum([]byte("other bytes"))
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("md5.txt"),
		Body: strings.NewReader("some bytes!"), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if apiCode(err) != "BadDigest" {
		t.Errorf("wrong Content-MD5: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("crc.txt"),
		Body: strings.NewReader("some bytes!"), ChecksumCRC32: aws.String("AAAAAA==")})
	if apiCode(err) != "BadDigest" {
		t.Errorf("wrong CRC32 header: %v", err)
	}
	for _, name := range []string{"md5.txt", "crc.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s stored despite its bad checksum", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the bucket holds %d entries after refused uploads", len(entries))
	}

	// The JS SDK's presigned PUT: x-amz-checksum-crc32=AAAAAA== (an empty
	// body's) in the signed query.
	u := g.URL + "/s3/films/up/real.bin?x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32&x-id=PutObject"
	put := presignURL(t, k, http.MethodPut, u, time.Now(), time.Hour)
	body := bytes.Repeat([]byte{7}, 70_000)
	if r := do(t, http.MethodPut, put, bytes.NewReader(body), nil); r.status != 200 || r.header.Get("X-Amz-Checksum-Crc32") == "AAAAAA==" {
		t.Errorf("real upload with the empty-body CRC32: %d %s %v", r.status, r.body, r.header)
	}
	// The same value on an empty body can be right, and is checked (and is).
	empty := presignURL(t, k, http.MethodPut, strings.Replace(u, "real.bin", "empty.bin", 1), time.Now(), time.Hour)
	if r := do(t, http.MethodPut, empty, bytes.NewReader(nil), nil); r.status != 200 {
		t.Errorf("empty upload: %d %s", r.status, r.body)
	}
	// Any other value in the query is checked.
	wrong := presignURL(t, k, http.MethodPut, strings.Replace(u, "AAAAAA%3D%3D", "AAAAAQ%3D%3D", 1), time.Now(), time.Hour)
	if r := do(t, http.MethodPut, wrong, bytes.NewReader(body), nil); r.status != 400 || errorOf(t, r).Code != "BadDigest" {
		t.Errorf("upload with a wrong query CRC32: %d %s", r.status, r.body)
	}

	// A body shorter than its Content-Length: the server cannot tell
	// until the client gives up, so the client closes early.
	req, _ := http.NewRequest(http.MethodPut, presignURL(t, k, http.MethodPut, g.URL+"/s3/films/short.bin", time.Now(), time.Hour), strings.NewReader("12345"))
	req.ContentLength = 10
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("a short body was stored")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "short.bin")); err == nil {
		t.Error("short.bin stored")
	}
}

// A bucket whose origin is an HTTP server is read through the endpoint
// and refuses writes with AccessDenied.
func TestHTTPOriginIsReadOnly(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/films/a.txt" || r.URL.RawQuery != "" || r.Header.Get("Authorization") != "" {
			http.Error(w, "not here", http.StatusNotFound)
			return
		}
		w.Write([]byte("from upstream"))
	}))
	defer up.Close()
	g := start(t, map[string]string{"GATEWAY_FETCH_ALLOW_CIDRS": "127.0.0.0/8"})
	makeBucket(t, g, "web", up.URL+"/films", nil)
	k := makeKey(t, g, "web", "read", "write")
	c := client(g, k)
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	out.Body.Close()
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("web"), Key: aws.String("missing.txt")})
	if apiCode(err) != "NoSuchKey" {
		t.Errorf("missing object upstream: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("web"), Key: aws.String("b.txt"), Body: strings.NewReader("x")})
	if apiCode(err) != "AccessDenied" {
		t.Errorf("PutObject to an HTTP origin: %v", err)
	}
}
