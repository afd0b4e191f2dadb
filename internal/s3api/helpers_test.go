package s3api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/app/apptest"
)

// accessKey is the admin API's answer to POST /v1/access-keys.
type accessKey struct {
	ID          string   `json:"access_key_id"`
	Secret      string   `json:"secret_access_key"`
	Bucket      string   `json:"bucket"`
	Permissions []string `json:"permissions"`
	Name        *string  `json:"name"`
	Created     string   `json:"created"`
}

// start starts a gateway with env added.
func start(t *testing.T, env map[string]string) *apptest.Gateway {
	t.Helper()
	vars := map[string]string{"GATEWAY_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		vars[k] = v
	}
	return apptest.Start(t, vars)
}

// makeBucket makes a bucket of g on origin, or on a new directory holding
// files when origin is "".
func makeBucket(t *testing.T, g *apptest.Gateway, name, origin string, files map[string]string) string {
	t.Helper()
	dir := ""
	if origin == "" {
		dir = t.TempDir()
		for p, body := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		origin = "file://" + dir
	}
	if st := g.Admin(t, http.MethodPut, "/v1/buckets/"+name, map[string]any{"origin": origin, "policy": "authenticated"}, nil); st != http.StatusOK && st != http.StatusCreated {
		t.Fatalf("make bucket %s: %d", name, st)
	}
	return dir
}

// makeKey makes an access key of g for bucket with perms.
func makeKey(t *testing.T, g *apptest.Gateway, bucket string, perms ...string) accessKey {
	t.Helper()
	var out struct {
		AccessKey accessKey `json:"access_key"`
	}
	if st := g.Admin(t, http.MethodPost, "/v1/access-keys", map[string]any{"bucket": bucket, "permissions": perms}, &out); st != http.StatusCreated {
		t.Fatalf("make access key: %d", st)
	}
	return out.AccessKey
}

// client is the AWS SDK for Go's S3 client on g's endpoint with k.
func client(g *apptest.Gateway, k accessKey) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(g.URL + "/s3"),
		UsePathStyle:     true,
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(k.ID, k.Secret, ""),
		RetryMaxAttempts: 1,
	})
}

var ctx = context.Background()
