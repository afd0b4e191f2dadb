package s3api_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// A bucket whose origin is a real S3 server (versitygw): the SDK writes,
// reads, lists and deletes through the gateway with the gateway's access
// key, and the objects land under the origin's prefix, nowhere else.
func TestS3OriginBucket(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "store")
	g := start(t, nil)
	settings := map[string]any{
		"endpoint": srv.Endpoint(), "region": srv.Region, "force_path_style": true,
		"access_key_id": srv.AccessKey, "secret_access_key": srv.SecretKey,
	}
	if st := g.Admin(t, http.MethodPut, "/v1/buckets/films", map[string]any{"origin": "s3://store/films/", "policy": "authenticated", "s3": settings}, nil); st != http.StatusCreated {
		t.Fatalf("bucket: %d", st)
	}
	k := makeKey(t, g, "films", "read", "write")
	c := client(g, k)
	body := bytes.Repeat([]byte("s3 origin "), 50_000)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("dir/a b.bin"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	// Where it landed, read with the storage's own credentials.
	raw, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("store"), Key: aws.String("films/dir/a b.bin")})
	if err != nil {
		t.Fatalf("object not under the origin's prefix: %v", err)
	}
	stored, _ := io.ReadAll(raw.Body)
	raw.Body.Close()
	if !bytes.Equal(stored, body) {
		t.Fatalf("stored %d bytes, want %d", len(stored), len(body))
	}
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String("dir/a b.bin"), Range: aws.String("bytes=-5")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	tail, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(tail) != "igin " {
		t.Errorf("last 5 bytes %q", tail)
	}
	url := presign(t, g, k, http.MethodGet, "films", "dir/a%20b.bin", time.Now(), time.Minute)
	if a := do(t, http.MethodGet, url, nil, map[string]string{"Range": "bytes=0-1"}); a.status != 206 || a.body != "s3" {
		t.Errorf("presigned GET: %d %q", a.status, a.body)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("films"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.CommonPrefixes) != 1 || aws.ToString(list.CommonPrefixes[0].Prefix) != "dir/" {
		t.Errorf("listing: %+v", list.CommonPrefixes)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("films"), Key: aws.String("dir/a b.bin")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("films"), Key: aws.String("dir/a b.bin")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject after delete: %v", err)
	}
	left, _ := srv.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("store")})
	var keys []string
	for _, o := range left.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if slices.ContainsFunc(keys, func(k string) bool { return !strings.HasPrefix(k, "films/") }) || len(keys) != 0 {
		t.Errorf("left in the storage: %q", keys)
	}
}
