package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil/redistest"
	"github.com/signedgate/gateway/internal/testutil/s3test"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// TestOutputsInS3AcrossInstances runs two instances on one Redis with data
// directories of their own and outputs in S3: a signed link converted on A
// has its output served by B, and with presigned links by S3 itself.
func TestOutputsInS3AcrossInstances(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "outputs")
	_, prefix := redistest.Client(t)
	for _, redirect := range []string{"gateway", "presigned"} {
		t.Run(redirect, func(t *testing.T) {
			env := map[string]string{
				"GATEWAY_REDIS_URL":            redistest.URL(),
				"GATEWAY_REDIS_PREFIX":         prefix + redirect + ":",
				"GATEWAY_JOBS_OUTPUT_URL":      "s3://outputs/jobs",
				"GATEWAY_JOBS_OUTPUT_REDIRECT": redirect,
				"GATEWAY_S3_ENDPOINT":          srv.Endpoint(),
				"GATEWAY_S3_REGION":            srv.Region,
				"GATEWAY_S3_FORCE_PATH_STYLE":  "true",
				"GATEWAY_S3_ACCESS_KEY_ID":     srv.AccessKey,
				"GATEWAY_S3_SECRET_ACCESS_KEY": srv.SecretKey,
			}
			a, b := apptest.Start(t, env), apptest.Start(t, env)
			if a.Config.DataDir == b.Config.DataDir {
				t.Fatal("the instances share a data directory")
			}
			const secret = "outputs-in-s3-secret-0123456789"
			var out map[string]any
			if st := a.Admin(t, "POST", "/v1/signed-url-bases", map[string]string{
				"id": "conv", "base": a.URL + "/conv", "signing_secret": secret}, &out); st != 201 {
				t.Fatalf("create base: %d %v", st, out)
			}
			job := `{"tasks":{"in":` + rawTask("made on instance A, "+redirect, "note.txt") +
				`,"out":{"operation":"export/url","input":"in"}}}`
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Get(urlsig.Sign(a.URL+"/conv", secret, []byte(job), "k"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("signed link on A: %d", resp.StatusCode)
			}
			target := loc
			switch redirect {
			case "gateway":
				// The same signed path and query, on B.
				u, _ := url.Parse(loc)
				if !strings.HasPrefix(u.Path, "/outputs/") {
					t.Fatalf("Location %s", loc)
				}
				target = b.URL + u.RequestURI()
			case "presigned":
				if !strings.HasPrefix(loc, srv.Endpoint()) || !strings.Contains(loc, "X-Amz-Signature=") {
					t.Fatalf("Location %s is not a presigned URL of the S3 server", loc)
				}
			}
			got, err := http.Get(target)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(got.Body)
			got.Body.Close()
			if got.StatusCode != 200 || string(body) != "made on instance A, "+redirect {
				t.Errorf("output through %s: %d %q", target, got.StatusCode, body)
			}
		})
	}
}
