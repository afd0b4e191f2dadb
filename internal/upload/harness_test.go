package upload_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

const (
	testCloud  = "democloud"
	testKey    = "123456789012345"
	testSecret = "abcdefghijklmnopqrstuvwxyz0"
)

// gateway is a real instance on 127.0.0.1 with one bucket and one key.
type gateway struct {
	*apptest.Gateway
	t         testing.TB
	BucketDir string
	DataDir   string
}

func startGateway(t testing.TB, env map[string]string, opts ...app.Option) *gateway {
	t.Helper()
	return startInstance(t, env, "", opts...)
}

// startInstance starts an instance; with bucketDir set it joins an existing
// setup (shared Redis) instead of creating the bucket and key.
func startInstance(t testing.TB, env map[string]string, bucketDir string, opts ...app.Option) *gateway {
	t.Helper()
	gw := apptest.Start(t, env, opts...)
	g := &gateway{Gateway: gw, t: t, BucketDir: t.TempDir(), DataDir: gw.Config.DataDir}
	if bucketDir != "" {
		g.BucketDir = bucketDir
		return g
	}
	g.admin("PUT", "/v1/buckets/uploads", map[string]any{"origin": "file://" + g.BucketDir}, http.StatusCreated)
	g.admin("POST", "/v1/api-keys", map[string]any{"cloud_name": testCloud, "bucket": "uploads",
		"api_key": testKey, "api_secret": testSecret}, http.StatusCreated)
	return g
}

// admin calls the admin API and decodes the answer, failing on another status.
func (g *gateway) admin(method, path string, body any, want int) map[string]any {
	g.t.Helper()
	var data json.RawMessage
	if code := g.Admin(g.t, method, path, body, &data); code != want {
		g.t.Fatalf("%s %s: got %d %s, want %d", method, path, code, data, want)
	}
	var out map[string]any
	json.Unmarshal(data, &out)
	return out
}

// signed returns params with api_key, a fresh timestamp and the signature.
func signed(params map[string]string, secret string) url.Values {
	v := url.Values{}
	for k, val := range params {
		v.Set(k, val)
	}
	if v.Get("timestamp") == "" {
		v.Set("timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	}
	if v.Get("api_key") == "" {
		v.Set("api_key", testKey)
	}
	sts := uploadsig.StringToSign(uploadsig.Collect(v), 2)
	v.Set("signature", uploadsig.Sign(sts, secret, uploadsig.SHA1))
	return v
}

// reply is a decoded answer of the upload endpoint.
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

func (r reply) errorMessage() string {
	e, _ := r.JSON["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func do(t testing.TB, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: data}
	json.Unmarshal(data, &r.JSON)
	return r
}

func (g *gateway) postForm(path string, v url.Values) reply {
	g.t.Helper()
	req, _ := http.NewRequest("POST", g.URL+path, bytes.NewBufferString(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(g.t, req)
}

func (g *gateway) get(path string) reply {
	g.t.Helper()
	req, _ := http.NewRequest("GET", g.URL+path, nil)
	return do(g.t, req)
}

// files lists every regular file under dir, relative, for leftover checks.
func files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}
