package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/token"
)

// startApp starts an instance, known by the public URL
// http://gateway.test, with env added.
func startApp(t *testing.T, env map[string]string, opts ...app.Option) *apptest.Gateway {
	t.Helper()
	vars := map[string]string{
		"GATEWAY_ADDR":       "127.0.0.1:0",
		"GATEWAY_PUBLIC_URL": "http://gateway.test",
	}
	maps.Copy(vars, env)
	return apptest.Start(t, vars, opts...)
}

type keyAnswer struct {
	SigningKey struct {
		ID         string  `json:"id"`
		Bucket     string  `json:"bucket"`
		PrivateKey string  `json:"private_key"`
		Created    string  `json:"created"`
		Name       *string `json:"name"`
	} `json:"signing_key"`
}

// fetch GETs url with an optional Host and headers.
func fetch(t *testing.T, url, host string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

// mediaDir makes a bucket directory with a few files.
func mediaDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"films/a.mp4":          "film a bytes",
		"show/ep1/master.m3u8": "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg0.ts\n#EXT-X-ENDLIST\n",
		"show/ep1/seg0.ts":     "segment zero",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// makeBucket creates an authenticated bucket and a key for it.
func makeBucket(t *testing.T, in *apptest.Gateway, name, origin string) keyAnswer {
	t.Helper()
	if st := in.Admin(t, "PUT", "/v1/buckets/"+name, map[string]any{"origin": origin, "policy": "authenticated"}, nil); st != 201 && st != 200 {
		t.Fatalf("create bucket: %d", st)
	}
	var k keyAnswer
	if st := in.Admin(t, "POST", "/v1/signing-keys", map[string]string{"bucket": name}, &k); st != 201 {
		t.Fatalf("create key: %d", st)
	}
	return k
}

func signWith(t *testing.T, k keyAnswer, c token.Claims) string {
	t.Helper()
	priv, err := token.ParsePrivate([]byte(k.SigningKey.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := token.Sign(priv, k.SigningKey.ID, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// nodeSign signs a token with the interop script, or ends the test with
// testutil.MissingTool when node or the installed packages are missing.
func nodeSign(t *testing.T, input map[string]any) string {
	t.Helper()
	node := testutil.NeedProgram(t, "node")
	testutil.NeedFile(t, "interop/node_modules/jose/package.json",
		"interop/node_modules/jose", "npm ci --prefix internal/proxy/interop")
	in, _ := json.Marshal(input)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "interop/sign.mjs")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node sign: %v: %s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// tokenClaimsAll grants the whole bucket for an hour.
func tokenClaimsAll() token.Claims { return token.Claims{ExpiresAt: time.Now().Add(time.Hour)} }
