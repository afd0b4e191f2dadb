package objects

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// recorder is a reverse proxy in front of an S3 server that keeps the
// headers of each request; refuse, when set, answers in the server's place.
type recorder struct {
	URL    string
	mu     sync.Mutex
	reqs   []http.Header
	refuse func(w http.ResponseWriter, r *http.Request) bool
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // the signature covers the Host the client sent
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Header.Clone())
		refuse := rec.refuse
		rec.mu.Unlock()
		if refuse != nil && refuse(w, r) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (r *recorder) requests() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.reqs...)
}

// refuseACLs answers every request that sets an ACL as S3 does for a
// bucket whose ACLs are disabled (object ownership "bucket owner
// enforced"). versitygw takes the header and ignores it.
func refuseACLs(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("X-Amz-Acl") == "" {
		return false
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<Error><Code>AccessControlListNotSupported</Code><Message>The bucket does not allow ACLs</Message></Error>`))
	return true
}

func TestS3PutSendsACL(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "objects")
	rec := newRecorder(t, srv.Endpoint())
	s, err := NewS3(context.Background(), S3Config{
		Bucket: "objects", Endpoint: rec.URL, Region: srv.Region, ForcePathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, size := range []int64{1, -1} { // one request; a multipart upload
		before := len(rec.requests())
		if _, err := s.Put(ctx, "a", strings.NewReader("x"), size, WriteOptions{ACL: "public-read"}); err != nil {
			t.Fatalf("put of size %d with an ACL: %v", size, err)
		}
		// The ACL goes with the request that makes the object: the
		// PutObject, or the CreateMultipartUpload.
		if got := rec.requests()[before].Get("X-Amz-Acl"); got != "public-read" {
			t.Errorf("size %d: x-amz-acl %q, want public-read", size, got)
		}
	}
	before := len(rec.requests())
	if _, err := s.Put(ctx, "b", strings.NewReader("x"), 1, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if h := rec.requests()[before]; h.Get("X-Amz-Acl") != "" {
		t.Errorf("a write without ACL sent x-amz-acl %q", h.Get("X-Amz-Acl"))
	}

	rec.refuse = refuseACLs
	for _, size := range []int64{1, -1} {
		_, err := s.Put(ctx, "c", strings.NewReader("x"), size, WriteOptions{ACL: "public-read"})
		if !errors.Is(err, ErrACLNotSupported) {
			t.Errorf("size %d, bucket without ACLs: %v, want ErrACLNotSupported", size, err)
		}
	}
}

// An isolated store takes nothing from the environment: neither the
// credentials, nor the endpoint.
func TestS3IsolatedIgnoresEnvironment(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "objects")
	rec := newRecorder(t, srv.Endpoint())
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_ENDPOINT_URL_S3", rec.URL)
	t.Setenv("AWS_S3_USE_PATH_STYLE", "true")
	// A CA bundle would need a client the SDK can reconfigure, which the
	// dial recorder below is not.
	t.Setenv("AWS_CA_BUNDLE", "")
	ctx := context.Background()

	// With the environment's credentials the object is written; isolated,
	// the same request goes unsigned and is refused.
	for _, isolated := range []bool{false, true} {
		s, err := NewS3(ctx, S3Config{Bucket: "objects", Endpoint: rec.URL, Region: srv.Region, ForcePathStyle: true, Isolated: isolated})
		if err != nil {
			t.Fatal(err)
		}
		before := len(rec.requests())
		_, err = s.Put(ctx, "a", strings.NewReader("x"), 1, WriteOptions{})
		signed := rec.requests()[before].Get("Authorization") != ""
		switch {
		case !isolated && (err != nil || !signed):
			t.Errorf("not isolated: err %v, signed %v; want the environment's credentials to sign", err, signed)
		case isolated && (signed || !errors.Is(err, ErrAccessDenied)):
			t.Errorf("isolated: err %v, signed %v; want an unsigned request, refused", err, signed)
		}
	}

	// Without an endpoint, an isolated store goes to AWS, not to the
	// environment's endpoint. The dial is recorded and refused.
	var mu sync.Mutex
	var dialled []string
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			mu.Lock()
			dialled = append(dialled, addr)
			mu.Unlock()
			return nil, errNoDial{}
		},
	}}
	for _, isolated := range []bool{false, true} {
		s, err := NewS3(ctx, S3Config{Bucket: "objects", Region: "eu-west-1", HTTPClient: hc, Isolated: isolated})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.Stat(ctx, "a")
	}
	recHost := strings.TrimPrefix(rec.URL, "http://")
	mu.Lock()
	defer mu.Unlock()
	if len(dialled) != 2 || dialled[0] != recHost || dialled[1] != "objects.s3.eu-west-1.amazonaws.com:443" {
		t.Errorf("dialled %q; want %s (from the environment), then AWS's endpoint of the bucket", dialled, recHost)
	}
}

// errNoDial fails a dial at once and tells the SDK not to retry it.
type errNoDial struct{}

func (errNoDial) Error() string        { return "dial refused by the test" }
func (errNoDial) RetryableError() bool { return false }
