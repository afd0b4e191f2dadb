package origin

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// object is the bytes every test serves: 1000 bytes that differ by offset,
// so a wrong range shows.
var object = func() []byte {
	b := make([]byte, 1000)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}()

var objectTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fileBucket makes a directory holding films/a.mp4 and returns a server for
// its file origin.
func fileBucket(t *testing.T) (srv *httptest.Server, dir string) {
	t.Helper()
	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "films", "a.mp4"), object)
	return serveBucket(t, NewPool(Options{}), "file://"+dir), dir
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, objectTime, objectTime); err != nil {
		t.Fatal(err)
	}
}

// s3Server starts an S3 server with a bucket "media" and returns it and a
// pool whose S3 defaults reach it.
func s3Server(t *testing.T) (*s3test.Server, *Pool) {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "media")
	return srv, NewPool(Options{S3: objects.S3Config{
		Endpoint: srv.Endpoint(), Region: srv.Region, ForcePathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	}})
}

// putObject writes data at key of bucket "media".
func putObject(t *testing.T, srv *s3test.Server, key, contentType string, data []byte) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String("media"), Key: aws.String(key), Body: bytes.NewReader(data)}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if _, err := srv.Client().PutObject(context.Background(), in); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// s3Bucket serves an s3:// origin holding prefix/films/a.mp4.
func s3Bucket(t *testing.T) *httptest.Server {
	t.Helper()
	srv, pool := s3Server(t)
	putObject(t, srv, "prefix/films/a.mp4", "video/mp4", object)
	return serveBucket(t, pool, "s3://media/prefix")
}

// serveBucket serves the pool's handler for origin at the root of a test
// server, as the delivery route would after taking off /media/{bucket}.
func serveBucket(t *testing.T, p *Pool, origin string) *httptest.Server {
	t.Helper()
	h, err := p.Handler(bucket.Bucket{Name: "b", Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); p.Close() })
	return srv
}

// upstream is an HTTP origin that serves films/a.mp4 with ServeContent and
// records the requests it got.
type upstream struct {
	*httptest.Server
	got chan *http.Request
}

const upstreamETag = `"v1"`

func newUpstream(t *testing.T, extra http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{got: make(chan *http.Request, 16)}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case u.got <- r.Clone(r.Context()):
		default:
		}
		if extra != nil {
			extra(w, r)
			return
		}
		if r.URL.Path != "/prefix/films/a.mp4" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", upstreamETag)
		w.Header().Set("Content-Type", "video/mp4")
		http.ServeContent(w, r, "", objectTime, bytes.NewReader(object))
	}))
	t.Cleanup(u.Close)
	return u
}

func do(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func bucketWithOrigin(origin string) bucket.Bucket {
	return bucket.Bucket{Name: "b", Origin: origin}
}
