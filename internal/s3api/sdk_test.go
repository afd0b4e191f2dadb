package s3api_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/signedgate/gateway/internal/testutil"
)

// The AWS SDK for Go v2, header-signed: put, head, ranged get, list with
// prefix, delimiter and continuation, delete; and its errors are the
// typed ones its users catch.
func TestGoSDKOperations(t *testing.T) {
	g := start(t, nil)
	dir := makeBucket(t, g, "films", "", map[string]string{"a.mp4": "film a bytes", ".meta/x.json": "{}", "dir/.env": "SECRET=1"})
	k := makeKey(t, g, "films", "read", "write")
	c := client(g, k)

	body := bytes.Repeat([]byte("0123456789"), 100_000) // 1 MB
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("films"), Key: aws.String("up/b c/ünï+&=.bin"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if aws.ToString(put.ETag) == "" {
		t.Error("PutObject answered no ETag")
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, "up", "b c", "ünï+&=.bin"))
	if err != nil || !bytes.Equal(onDisk, body) {
		t.Fatalf("stored object differs (%d bytes, err %v)", len(onDisk), err)
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("films"), Key: aws.String("up/b c/ünï+&=.bin")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Errorf("HeadObject length %d, want %d", aws.ToInt64(head.ContentLength), len(body))
	}

	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String("up/b c/ünï+&=.bin"), Range: aws.String("bytes=10-29")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if string(got) != string(body[10:30]) || aws.ToString(get.ContentRange) != "bytes 10-29/1000000" {
		t.Errorf("ranged GetObject: %q, Content-Range %q", got, aws.ToString(get.ContentRange))
	}

	for _, key := range []string{"up/1.txt", "up/2.txt", "up/3.txt", "up/sub/4.txt", "other.txt"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String(key), Body: strings.NewReader(key)}); err != nil {
			t.Fatalf("PutObject %s: %v", key, err)
		}
	}
	var keys, prefixes []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{
		Bucket: aws.String("films"), Prefix: aws.String("up/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2),
	})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		pages++
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	if want := []string{"up/1.txt", "up/2.txt", "up/3.txt"}; !slices.Equal(keys, want) || !slices.Equal(prefixes, []string{"up/b c/", "up/sub/"}) || pages != 3 {
		t.Errorf("listing: keys %q prefixes %q in %d pages", keys, prefixes, pages)
	}
	all, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("films")})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all.Contents {
		if strings.Contains("/"+aws.ToString(o.Key), "/.") {
			t.Errorf("hidden key listed: %s", aws.ToString(o.Key))
		}
	}
	if n := len(all.Contents); n != 7 {
		t.Errorf("whole listing has %d keys, want 7", n)
	}

	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("films"), Key: aws.String("up/1.txt")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String("up/1.txt")})
	var noKey *types.NoSuchKey
	if !errors.As(err, &noKey) {
		t.Errorf("GetObject of a deleted key: %v, want NoSuchKey", err)
	}
	for _, hidden := range []string{".meta/x.json", "dir/.env"} {
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String(hidden)})
		if !errors.As(err, &noKey) {
			t.Errorf("GetObject of hidden %s: %v, want NoSuchKey", hidden, err)
		}
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String(".meta/x.json"), Body: strings.NewReader("x")})
	if code := apiCode(err); code != "InvalidArgument" {
		t.Errorf("PutObject of a hidden key: %v, want InvalidArgument", err)
	}
	_, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("films"), Key: aws.String("a.mp4")})
	if code := apiCode(err); code != "NotImplemented" {
		t.Errorf("GetObjectAcl: %v, want NotImplemented", err)
	}
}

// apiCode is the S3 error code of err, "" when it has none.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// The SDK's presign client: a presigned GET reads, a presigned PUT writes
// with a plain HTTP client, as a browser or curl would.
func TestGoSDKPresigned(t *testing.T) {
	g := start(t, nil)
	dir := makeBucket(t, g, "films", "", map[string]string{"a.mp4": "film a bytes"})
	k := makeKey(t, g, "films", "read", "write")
	ps := s3.NewPresignClient(client(g, k))

	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String("a.mp4"),
		ResponseContentDisposition: aws.String(`attachment; filename="a.mp4"`)}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	res := do(t, http.MethodGet, get.URL, nil, map[string]string{"Range": "bytes=5-"})
	if res.status != http.StatusPartialContent || res.body != "a bytes" || res.header.Get("Content-Disposition") != `attachment; filename="a.mp4"` {
		t.Errorf("presigned GET: %d %q %v", res.status, res.body, res.header)
	}

	// Conditions are answered by the origin, as on /media.
	etag := res.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a presigned GET")
	}
	if r := do(t, http.MethodGet, get.URL, nil, map[string]string{"If-None-Match": etag}); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d", r.status)
	}
	if r := do(t, http.MethodGet, get.URL, nil, map[string]string{"If-Match": `"other"`}); r.status != http.StatusPreconditionFailed || errorOf(t, r).Code != "PreconditionFailed" {
		t.Errorf("If-Match with another ETag: %d %s", r.status, r.body)
	}
	if r := do(t, http.MethodGet, get.URL, nil, map[string]string{"Range": "bytes=100-200"}); r.status != http.StatusRequestedRangeNotSatisfiable || errorOf(t, r).Code != "InvalidRange" {
		t.Errorf("a range past the end: %d %s", r.status, r.body)
	}

	put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("up/new.txt")}, s3.WithPresignExpires(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	res = do(t, http.MethodPut, put.URL, strings.NewReader("uploaded through a presigned PUT"), nil)
	if res.status != http.StatusOK || res.header.Get("ETag") == "" {
		t.Fatalf("presigned PUT: %d %s", res.status, res.body)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "up", "new.txt")); string(b) != "uploaded through a presigned PUT" {
		t.Errorf("stored %q", b)
	}
}

type answer struct {
	status int
	body   string
	header http.Header
}

func do(t *testing.T, method, url string, body io.Reader, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(b), res.Header}
}

// A body of unknown length (a pipe) makes the SDK send aws-chunked with a
// trailing CRC32 (STREAMING-UNSIGNED-PAYLOAD-TRAILER), which it does only
// over TLS: the object stored is the decoded bytes.
func TestGoSDKStreamedUpload(t *testing.T) {
	certDir := t.TempDir()
	certFile, keyFile := filepath.Join(certDir, "cert.pem"), filepath.Join(certDir, "key.pem")
	pool := x509.NewCertPool()
	pool.AddCert(testutil.WriteCert(t, certFile, keyFile, "127.0.0.1"))
	g := start(t, map[string]string{"GATEWAY_TLS_ADDR": "127.0.0.1:0", "GATEWAY_TLS_CERT_FILE": certFile, "GATEWAY_TLS_KEY_FILE": keyFile})
	dir := makeBucket(t, g, "films", "", nil)
	k := makeKey(t, g, "films", "read", "write")
	c := s3.New(s3.Options{
		BaseEndpoint: aws.String("https://" + g.TLSAddr + "/s3"), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	})
	body := bytes.Repeat([]byte("streamed "), 200_000) // 1.8 MB, several chunks
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(body); i += 100_000 {
			pw.Write(body[i:min(i+100_000, len(body))])
		}
		pw.Close()
	}()
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("stream.bin"), Body: pr,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatalf("PutObject of a stream: %v", err)
	}
	stored, err := os.ReadFile(filepath.Join(dir, "stream.bin"))
	if err != nil || !bytes.Equal(stored, body) {
		t.Fatalf("stored %d bytes, want %d (%v)", len(stored), len(body), err)
	}
	if want := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body))); aws.ToString(out.ChecksumCRC32) != want {
		t.Errorf("answered CRC32 %q, want %q", aws.ToString(out.ChecksumCRC32), want)
	}
}

// The ETag of an object is the same whichever operation answers it (PUT,
// HEAD, GET, a listing), on a directory as on S3, so that one operation's
// tag works in another's If-Match.
func TestETagsAgree(t *testing.T) {
	g := start(t, nil)
	makeBucket(t, g, "films", "", nil)
	k := makeKey(t, g, "films", "read", "write")
	c := client(g, k)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("e.txt"), Body: strings.NewReader("v1")})
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("films"), Key: aws.String("e.txt")})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("films")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	tags := []string{aws.ToString(put.ETag), aws.ToString(head.ETag), aws.ToString(list.Contents[0].ETag)}
	if tags[0] == "" || tags[0] != tags[1] || tags[1] != tags[2] {
		t.Fatalf("ETags of PUT, HEAD, list: %q", tags)
	}
	// A conditional write over the version HEAD saw succeeds; a second
	// with the same (now old) tag fails.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("e.txt"), Body: strings.NewReader("v2"), IfMatch: head.ETag}); err != nil {
		t.Errorf("PutObject If-Match HEAD's ETag: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("e.txt"), Body: strings.NewReader("v3"), IfMatch: head.ETag}); apiCode(err) != "PreconditionFailed" {
		t.Errorf("PutObject If-Match an old ETag: %v", err)
	}
}
