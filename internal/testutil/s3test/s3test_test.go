package s3test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

func TestPutAndRangedGet(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") || s.Region != "us-east-1" || s.AccessKey == "" || s.SecretKey == "" {
		t.Fatalf("endpoint %q region %q keys %q/%q", s.Endpoint(), s.Region, s.AccessKey, s.SecretKey)
	}
	s.CreateBucket(t, "films")
	ctx := context.Background()
	c := s.Client()
	body := []byte("0123456789abcdef")
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("films"), Key: aws.String("dir/a b+c.txt"),
		Body: bytes.NewReader(body), ContentType: aws.String("text/plain"),
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; aws.ToString(put.ETag) != want {
		t.Errorf("ETag %s, want the quoted MD5 %s", aws.ToString(put.ETag), want)
	}

	get, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("films"), Key: aws.String("dir/a b+c.txt"), Range: aws.String("bytes=2-5"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(get.Body)
	get.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "2345" || aws.ToString(get.ContentRange) != "bytes 2-5/16" || aws.ToInt64(get.ContentLength) != 4 {
		t.Errorf("range 2-5: %q, Content-Range %q, Content-Length %d", got, aws.ToString(get.ContentRange), aws.ToInt64(get.ContentLength))
	}
	if aws.ToString(get.ContentType) != "text/plain" || aws.ToString(get.ETag) != aws.ToString(put.ETag) {
		t.Errorf("Content-Type %q, ETag %q", aws.ToString(get.ContentType), aws.ToString(get.ETag))
	}
}

func TestSignaturesAreChecked(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "films")
	ctx := context.Background()
	if _, err := s.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("films"), Key: aws.String("a.txt"), Body: strings.NewReader("hello"),
	}); err != nil {
		t.Fatal(err)
	}

	// Signed with the right access key and a wrong secret.
	_, err := s.NewClient(s.AccessKey, s.SecretKey+"x").GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String("films"), Key: aws.String("a.txt"),
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("GetObject signed with a wrong secret: %v, want SignatureDoesNotMatch", err)
	}

	// Not signed at all.
	resp, err := http.Get(s.Endpoint() + "/films/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET: %d, want 403", resp.StatusCode)
	}

	// A presigned URL works, and stops working when its signature is changed.
	url := presignGet(t, s, "films", "a.txt")
	if code, body := fetch(t, "GET", url, nil); code != 200 || body != "hello" {
		t.Errorf("presigned GET: %d %q", code, body)
	}
	i := strings.Index(url, "X-Amz-Signature=") + len("X-Amz-Signature=")
	flipped := "0"
	if url[i] == '0' {
		flipped = "1"
	}
	if code, body := fetch(t, "GET", url[:i]+flipped+url[i+1:], nil); code != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("presigned GET with a changed signature: %d %s", code, body)
	}
}

// TestConditionalGetAndHead checks that versitygw answers conditional and
// HEAD requests as S3 does, since the gateway relies on them.
func TestConditionalGetAndHead(t *testing.T) {
	s := Start(t)
	s.CreateBucket(t, "films")
	ctx := context.Background()
	put, err := s.Client().PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("films"), Key: aws.String("a.txt"), Body: strings.NewReader("hello"),
	})
	if err != nil {
		t.Fatal(err)
	}
	etag := aws.ToString(put.ETag)
	url := presignGet(t, s, "films", "a.txt")

	if code, body := fetch(t, "GET", url, http.Header{"If-None-Match": {etag}}); code != http.StatusNotModified || body != "" {
		t.Errorf("GET If-None-Match: current ETag: %d %q, want 304", code, body)
	}
	if code, body := fetch(t, "GET", url, http.Header{"If-None-Match": {`"0123"`}}); code != 200 || body != "hello" {
		t.Errorf("GET If-None-Match: other ETag: %d %q, want 200", code, body)
	}
	if code, _ := fetch(t, "GET", url, http.Header{"If-Match": {`"0123"`}}); code != http.StatusPreconditionFailed {
		t.Errorf("GET If-Match: other ETag: %d, want 412", code)
	}
	if code, body := fetch(t, "GET", url, http.Header{"Range": {"bytes=100-"}}); code != http.StatusRequestedRangeNotSatisfiable || !strings.Contains(body, "<Code>InvalidRange</Code>") {
		t.Errorf("GET Range past the end: %d %s, want 416 InvalidRange", code, body)
	}

	// HEAD, through the SDK and through a presigned URL of its own (a GET
	// URL does not sign a HEAD, as on S3).
	head, err := s.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("films"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != 5 || aws.ToString(head.ETag) != etag || head.LastModified == nil {
		t.Errorf("HEAD: length %d, ETag %q, Last-Modified %v", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), head.LastModified)
	}
	p, err := s3.NewPresignClient(s.Client()).PresignHeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("films"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := fetch(t, "HEAD", p.URL, nil); code != 200 {
		t.Errorf("presigned HEAD: %d", code)
	}
	if code, _ := fetch(t, "HEAD", p.URL, http.Header{"If-None-Match": {etag}}); code != http.StatusNotModified {
		t.Errorf("presigned HEAD If-None-Match: current ETag: %d, want 304", code)
	}
	if code, _ := fetch(t, "HEAD", url, nil); code != http.StatusForbidden {
		t.Errorf("HEAD on a presigned GET URL: %d, want 403", code)
	}
}

func TestServersAreSeparate(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Endpoint() == b.Endpoint() || a.AccessKey == b.AccessKey || a.SecretKey == b.SecretKey {
		t.Fatalf("two servers share an endpoint or keys: %s %s", a.Endpoint(), b.Endpoint())
	}
	a.CreateBucket(t, "only-in-a")
	out, err := b.Client().ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 0 {
		t.Errorf("second server lists %d buckets", len(out.Buckets))
	}
}

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	fake := func(d string) string {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, "versitygw")
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("PATH", filepath.Join(dir, "empty")) // no versitygw, and no go to ask
	t.Setenv("GOBIN", "")
	t.Setenv("GOPATH", filepath.Join(dir, "none")+string(filepath.ListSeparator)+filepath.Join(dir, "gopath"))
	if bin, err := findBinary(); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "gopath", "bin")) {
		t.Errorf("nothing installed: %q, %v", bin, err)
	}
	want := fake(filepath.Join(dir, "gopath", "bin"))
	if bin, err := findBinary(); err != nil || bin != want {
		t.Errorf("in the second GOPATH entry: %q, %v", bin, err)
	}
	t.Setenv("GOBIN", filepath.Join(dir, "gobin"))
	want = fake(filepath.Join(dir, "gobin"))
	if bin, err := findBinary(); err != nil || bin != want {
		t.Errorf("in GOBIN: %q, %v", bin, err)
	}
	t.Setenv("PATH", filepath.Join(dir, "path"))
	want = fake(filepath.Join(dir, "path"))
	if bin, err := findBinary(); err != nil || bin != want {
		t.Errorf("on PATH: %q, %v", bin, err)
	}
}

func presignGet(t *testing.T, s *Server, bucket, key string) string {
	t.Helper()
	p, err := s3.NewPresignClient(s.Client()).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return p.URL
}

// fetch sends a plain HTTP request and returns its status and body.
func fetch(t *testing.T, method, url string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
