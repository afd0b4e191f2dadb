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
)

// needTool skips when a tool the interop tests need is absent, except in
// CI, where its absence is a failure.
func needTool(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI must install it)", why)
	}
	t.Skip(why)
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
	node, err := exec.LookPath("node")
	if err != nil {
		needTool(t, "node is not installed")
	}
	if _, err := os.Stat("interop/node_modules/cloudinary"); err != nil {
		needTool(t, "npm ci --prefix internal/upload/interop has not been run")
	}
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
