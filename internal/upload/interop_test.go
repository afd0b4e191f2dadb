package upload_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"

	"github.com/signedgate/gateway/internal/testutil"
)

// needNode returns node's path, or ends the test with testutil.MissingTool
// when node is missing, or, with sdk, when the Cloudinary SDK is.
func needNode(t *testing.T, sdk bool) string {
	t.Helper()
	node := testutil.NeedProgram(t, "node")
	if sdk {
		testutil.NeedFile(t, "interop/node_modules/cloudinary", "the cloudinary SDK (interop/node_modules/cloudinary)",
			"npm ci --prefix internal/upload/interop")
	}
	return node
}

// pathOf strips scheme and host from an SDK-built URL.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.EscapedPath()
}

// The official Node SDK uploads a file, a data: URI and a chunked large
// file, signs an authenticated delivery URL and destroys, against a real
// gateway; every upload comes back byte for byte.
func TestNodeSDKInterop(t *testing.T) {
	node := needNode(t, true)
	g := startGateway(t, nil)
	dir := t.TempDir()
	img := pngBytes(t, 64, 48)
	imgPath := filepath.Join(dir, "photo.png")
	os.WriteFile(imgPath, img, 0o644)
	// The SDK has no minimum chunk size; 64 KiB chunks give several parts
	// of a file that stays quick to send.
	const chunk = 64 << 10
	large := make([]byte, 5*chunk+1234)
	rand.Read(large)
	largePath := filepath.Join(dir, "large.bin")
	os.WriteFile(largePath, large, 0o644)

	cmd := exec.Command(node, "node_interop.js", imgPath, largePath, "65536")
	cmd.Dir = "interop"
	cmd.Env = append(os.Environ(), "CLOUDINARY_URL=cloudinary://"+testKey+":"+testSecret+"@"+testCloud+"?upload_prefix="+g.URL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res struct {
		Image, Data, Large, Auth, Doomed map[string]any
		AuthURL                          string
		Destroy, DestroyAgain            map[string]any
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	checks := []struct {
		name   string
		result map[string]any
		want   []byte
	}{
		{"image", res.Image, img},
		{"data URI", res.Data, []byte("hello from a data URI")},
		{"large", res.Large, large},
		{"authenticated", res.Auth, img},
	}
	for _, c := range checks {
		u, _ := c.result["secure_url"].(string)
		if c.name == "authenticated" {
			u = res.AuthURL
		}
		back := g.get(pathOf(t, u))
		if back.Status != 200 || !bytes.Equal(back.Raw, c.want) {
			t.Errorf("%s: GET %s: got %d and %d bytes, want 200 and %d bytes", c.name, u, back.Status, len(back.Raw), len(c.want))
		}
	}
	if res.Large["bytes"] != float64(len(large)) {
		t.Errorf("large: bytes %v, want %d", res.Large["bytes"], len(large))
	}
	unsigned, _ := res.Auth["secure_url"].(string)
	if back := g.get(pathOf(t, unsigned)); back.Status != 401 {
		t.Errorf("authenticated without signature: got %d, want 401", back.Status)
	}
	if res.Destroy["result"] != "ok" || res.DestroyAgain["result"] != "not found" {
		t.Errorf("destroy: got %v then %v, want ok then not found", res.Destroy, res.DestroyAgain)
	}
	doomed, _ := res.Doomed["secure_url"].(string)
	if back := g.get(pathOf(t, doomed)); back.Status != 404 {
		t.Errorf("destroyed asset: got %d, want 404", back.Status)
	}
}

// The official Go SDK uploads, signs a delivery URL and destroys.
func TestGoSDKInterop(t *testing.T) {
	g := startGateway(t, nil)
	cld, err := cloudinary.NewFromURL("cloudinary://" + testKey + ":" + testSecret + "@" + testCloud + "?upload_prefix=" + g.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	img := pngBytes(t, 20, 10)
	path := filepath.Join(t.TempDir(), "go.png")
	os.WriteFile(path, img, 0o644)

	res, err := cld.Upload.Upload(ctx, path, uploader.UploadParams{PublicID: "go/image", Tags: []string{"x", "y"}})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("upload: %v %+v", err, res.Error)
	}
	if res.Width != 20 || res.Height != 10 || res.Format != "png" || res.Version == 0 || len(res.Tags) != 2 {
		t.Errorf("result: got %+v", res)
	}
	if back := g.get(pathOf(t, res.SecureURL)); back.Status != 200 || !bytes.Equal(back.Raw, img) {
		t.Errorf("GET %s: got %d", res.SecureURL, back.Status)
	}

	auth, err := cld.Upload.Upload(ctx, path, uploader.UploadParams{PublicID: "go/secret", Type: api.Authenticated})
	if err != nil || auth.Error.Message != "" {
		t.Fatalf("authenticated upload: %v %+v", err, auth.Error)
	}
	asset, err := cld.Image("go/secret")
	if err != nil {
		t.Fatal(err)
	}
	asset.DeliveryType = "authenticated"
	asset.Config.URL.SignURL = true
	asset.Version = auth.Version
	asset.AssetType = "image"
	signedURL, err := asset.String()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signedURL, "/s--") {
		t.Fatalf("the SDK did not sign %s", signedURL)
	}
	if back := g.get(pathOf(t, signedURL)); back.Status != 200 || !bytes.Equal(back.Raw, img) {
		t.Errorf("signed GET %s: got %d %s", signedURL, back.Status, back.Raw)
	}
	if back := g.get(pathOf(t, auth.SecureURL)); back.Status != 401 {
		t.Errorf("unsigned GET %s: got %d, want 401", auth.SecureURL, back.Status)
	}

	g.admin("POST", "/v1/upload-presets", map[string]any{"name": "open", "cloud_name": testCloud,
		"bucket": "uploads", "unsigned": true}, http.StatusCreated)
	open, err := cld.Upload.UnsignedUpload(ctx, path, "open", uploader.UploadParams{PublicID: "go/open"})
	if err != nil || open.Error.Message != "" || open.PublicID != "go/open" {
		t.Fatalf("unsigned upload: %v %+v", err, open)
	}

	del, err := cld.Upload.Destroy(ctx, uploader.DestroyParams{PublicID: "go/image"})
	if err != nil || del.Result != "ok" {
		t.Fatalf("destroy: %v %+v", err, del)
	}
	if back := g.get(pathOf(t, res.SecureURL)); back.Status != 404 {
		t.Errorf("destroyed: got %d, want 404", back.Status)
	}
}

// runNode runs an interop script of the official Node SDK against g and
// decodes what it prints.
func runNode(t *testing.T, g *gateway, out any, args ...string) []byte {
	t.Helper()
	node := needNode(t, true)
	cmd := exec.Command(node, args...)
	cmd.Dir = "interop"
	cmd.Env = append(os.Environ(), "CLOUDINARY_URL=cloudinary://"+testKey+":"+testSecret+"@"+testCloud+"?upload_prefix="+g.URL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %v: %v\n%s", args, err, stderr.String())
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return data
}

// The official Node SDK uploads a 25 MiB file into an s3:// bucket, once
// in one request and once with upload_large (chunks of its default 20 MB,
// assembled by an S3 multipart upload), and destroys both: the files are
// in S3 after the uploads, delivered byte for byte, and gone after the
// destroys; nothing is left of the chunked upload, and the bucket's S3
// secret shows in no answer and no log line.
func TestNodeSDKInteropS3(t *testing.T) {
	needNode(t, false)
	g := startS3Gateway(t, nil)
	large := make([]byte, 25<<20)
	rand.Read(large)
	path := filepath.Join(t.TempDir(), "large.bin")
	if err := os.WriteFile(path, large, 0o644); err != nil {
		t.Fatal(err)
	}
	var up struct{ Whole, Large map[string]any }
	raw := runNode(t, g.gateway, &up, "node_large.js", "upload", path)
	g.keep(reply{Status: 200, Raw: raw})
	for _, tc := range []struct {
		name   string
		result map[string]any
		id     string
	}{
		{"upload", up.Whole, "node/whole.bin"},
		{"upload_large", up.Large, "node/large.bin"},
	} {
		if tc.result["public_id"] != tc.id || tc.result["bytes"] != float64(len(large)) || tc.result["etag"] != md5Hex(large) {
			t.Errorf("%s: result %v", tc.name, tc.result)
		}
		if data, ok := g.object(t, tc.id); !ok || !bytes.Equal(data, large) {
			t.Errorf("%s: the object in S3: %v, %d bytes", tc.name, ok, len(data))
		}
		u, _ := tc.result["secure_url"].(string)
		if back := g.keep(g.get(pathOf(t, u))); back.Status != 200 || !bytes.Equal(back.Raw, large) {
			t.Errorf("%s: GET %s: %d and %d bytes, want 200 and the file", tc.name, u, back.Status, len(back.Raw))
		}
	}
	if n, work := g.multiparts(t), g.work(t); n != 0 || len(work) != 0 {
		t.Errorf("upload_large left %d multipart uploads, work area %v", n, work)
	}
	if left := files(t, g.DataDir+"/uploads"); len(left) != 0 {
		t.Errorf("the gateway's disk kept %v", left)
	}

	var down struct{ Destroyed map[string]map[string]any }
	raw = runNode(t, g.gateway, &down, "node_large.js", "destroy", "node/whole.bin", "node/large.bin")
	g.keep(reply{Status: 200, Raw: raw})
	for _, id := range []string{"node/whole.bin", "node/large.bin"} {
		if down.Destroyed[id]["result"] != "ok" {
			t.Errorf("destroy %s: %v", id, down.Destroyed[id])
		}
		if _, ok := g.object(t, id); ok {
			t.Errorf("%s is still in S3 after destroy", id)
		}
		if back := g.keep(g.get("/" + testCloud + "/raw/upload/" + id)); back.Status != 404 {
			t.Errorf("GET %s after destroy: %d, want 404", id, back.Status)
		}
	}
	if keys := g.keys(t); len(keys) != 0 {
		t.Errorf("left in S3: %v", keys)
	}
	// One request for the upload, two for upload_large (20 MB, then the rest).
	if n := strings.Count(g.Logged(), "path=/v1_1/"+testCloud+"/raw/upload "); n != 3 {
		t.Errorf("%d upload requests in the access log, want 3", n)
	}
	g.noSecret(t)
}
