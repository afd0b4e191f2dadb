package s3api_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// With GATEWAY_S3_API_HOST, the SDK's default addressing works:
// virtual-host style (films.s3.gateway.test) and path style on that host
// without the /s3 prefix. Every name resolves to the test's gateway.
func TestVirtualHostStyle(t *testing.T) {
	g := start(t, map[string]string{"GATEWAY_S3_API_HOST": "s3.gateway.test"})
	makeBucket(t, g, "films", "", map[string]string{"a.mp4": "film a bytes"})
	k := makeKey(t, g, "films", "read", "write")
	u, _ := url.Parse(g.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	dial := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, g.URL[len("http://"):])
	}}}
	var hosts []string
	for _, pathStyle := range []bool{false, true} {
		c := s3.New(s3.Options{
			BaseEndpoint: aws.String("http://s3.gateway.test:" + port), UsePathStyle: pathStyle, Region: "us-east-1",
			Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""), HTTPClient: dial, RetryMaxAttempts: 1,
		})
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("films"), Key: aws.String("v/b.txt"), Body: strings.NewReader("vhost")}); err != nil {
			t.Fatalf("path style %v: PutObject: %v", pathStyle, err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String("a.mp4")})
		if err != nil {
			t.Fatalf("path style %v: GetObject: %v", pathStyle, err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(b) != "film a bytes" {
			t.Errorf("path style %v: %q", pathStyle, b)
		}
		ps := s3.NewPresignClient(c)
		get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("films"), Key: aws.String("v/b.txt")})
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(get.URL)
		hosts = append(hosts, pu.Host)
		req, _ := http.NewRequest(http.MethodGet, get.URL, nil)
		res, err := dial.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != "vhost" {
			t.Errorf("presigned %s: %d %q", get.URL, res.StatusCode, b)
		}
	}
	if hosts[0] != "films.s3.gateway.test:"+port || hosts[1] != "s3.gateway.test:"+port {
		t.Errorf("hosts signed for: %q", hosts)
	}
	// The gateway's other hosts do not answer S3 at the root.
	if a := do(t, http.MethodGet, g.URL+"/films/a.mp4", nil, nil); strings.Contains(a.body, "<Error>") {
		t.Errorf("S3 answered on the gateway's own host without /s3: %d %s", a.status, a.body)
	}
}
