package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeS3 is the smallest S3 that authenticates like the gateway: every
// request goes through Parse and Verify, bodies through the payload or
// chunked reader, so the real SDK client shows what it sends.
type fakeS3 struct {
	t       *testing.T
	secret  string
	mu      sync.Mutex
	objects map[string][]byte
	modes   map[string]bool // x-amz-content-sha256 forms seen
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &Request{Method: r.Method, Host: r.Host, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header}
	a, err := Parse(req)
	if err == nil {
		err = Verify(req, a, f.secret, testRegion, time.Now())
	}
	if err != nil {
		f.t.Errorf("%s %s: %v", r.Method, r.URL, err)
		w.WriteHeader(http.StatusForbidden)
		return
	}
	f.mu.Lock()
	f.modes[a.PayloadHash[:min(len(a.PayloadHash), 16)]] = true
	f.mu.Unlock()
	var body io.Reader = r.Body
	var chunked *ChunkedReader
	switch a.PayloadHash {
	case UnsignedPayload:
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil {
			n = -1
		}
		chunked = NewChunkedReader(r.Body, a, f.secret, testRegion, a.PayloadHash, n)
		body = chunked
	default:
		body = NewPayloadReader(r.Body, a.PayloadHash)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		f.t.Errorf("%s %s body: %v", r.Method, r.URL, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if chunked != nil && r.Header.Get("X-Amz-Trailer") != "" {
		sum := crc32.ChecksumIEEE(data)
		want := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
		if got := chunked.Trailer().Get(r.Header.Get("X-Amz-Trailer")); got != want {
			f.t.Errorf("trailer %q: got %q, want the body's CRC32 %q", r.Header.Get("X-Amz-Trailer"), got, want)
		}
	}
	key := strings.TrimPrefix(r.URL.Path, "/bucket/")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "PUT":
		f.objects[key] = data
		w.Header().Set("ETag", `"x"`)
	case r.Method == "DELETE":
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/bucket" || r.URL.Path == "/bucket/":
		type content struct{ Key string }
		res := struct {
			XMLName  xml.Name `xml:"ListBucketResult"`
			Name     string
			KeyCount int
			Contents []content
		}{Name: "bucket"}
		for k := range f.objects {
			if strings.HasPrefix(k, r.URL.Query().Get("prefix")) {
				res.Contents = append(res.Contents, content{k})
			}
		}
		res.KeyCount = len(res.Contents)
		xml.NewEncoder(w).Encode(res)
	default:
		obj, ok := f.objects[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(obj)))
		w.Write(obj)
	}
}

// onlyReader hides Seek, so the SDK must stream the body (aws-chunked).
type onlyReader struct{ io.Reader }

// The AWS SDK for Go v2's S3 client and presign client, against a server
// that checks every request with this package.
func TestSDKClientAgainstVerify(t *testing.T) {
	f := &fakeS3{t: t, secret: "client secret+/ü", objects: map[string][]byte{}, modes: map[string]bool{}}
	srv := httptest.NewTLSServer(f) // the SDK streams unseekable bodies with trailers over TLS only
	defer srv.Close()
	client := s3.New(s3.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, f.secret, ""),
		// The default of current SDKs: a CRC32 with every upload.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	})
	ctx := context.Background()
	keys := []string{"plain.txt", "dir/a b+c=d&e'(f)!*~$@:,;.txt", "ünï/日本.bin", "x/%41%2F"}
	data := bytes.Repeat([]byte("0123456789"), 20000)
	for i, key := range keys {
		var body io.Reader = bytes.NewReader(data)
		if i%2 == 1 {
			body = onlyReader{bytes.NewReader(data)}
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Body: body,
			ContentLength: aws.Int64(int64(len(data)))}); err != nil {
			t.Fatalf("PutObject %q: %v", key, err)
		}
		if got := f.objects[key]; !bytes.Equal(got, data) {
			t.Fatalf("PutObject %q stored %d bytes", key, len(got))
		}
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key), Range: aws.String("bytes=0-9")})
		if err != nil {
			t.Fatalf("GetObject %q: %v", key, err)
		}
		out.Body.Close()
		if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}); err != nil {
			t.Fatalf("HeadObject %q: %v", key, err)
		}
	}
	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket"), Prefix: aws.String("dir/a b+")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("ListObjectsV2: %v, %d objects", err, len(list.Contents))
	}
	// The presign client's URLs, used by a plain HTTP client.
	presigner := s3.NewPresignClient(client)
	for _, key := range keys {
		put, err := presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)},
			s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		send(t, srv.Client(), put.Method, put.URL, put.SignedHeader, []byte("presigned body"))
		get, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if got := send(t, srv.Client(), get.Method, get.URL, get.SignedHeader, nil); string(got) != "presigned body" {
			t.Errorf("presigned GET %q: %q", key, got)
		}
		if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}); err != nil {
			t.Fatalf("DeleteObject %q: %v", key, err)
		}
	}
	if !f.modes[StreamingUnsignedTrailer[:16]] {
		t.Errorf("the SDK never streamed with a trailer; forms seen: %v", f.modes)
	}
}

func send(t *testing.T, c *http.Client, method, url string, h http.Header, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		if !strings.EqualFold(k, "host") {
			req.Header[k] = v
		}
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, url, res.Status)
	}
	return got
}
