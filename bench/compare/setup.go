package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/verify/token"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

const (
	bigFileSize  = 100 << 20
	nginxSecret  = "nginx-bench-secret"
	baseSecret   = "bench-signing-secret-0123456789"
	adminToken   = "bench-admin-token-0123456789"
	tokenVariety = 20000
)

type env struct {
	dir          string
	o            options
	gatewayURL   string
	nginxURL     string
	gatewayCmd   *exec.Cmd
	nginxCmd     *exec.Cmd
	signedURL    string // scenario 1, gateway
	nginxLinkURL string // scenario 1, nginx
	sameToken    string
	tokenScript  string // scenario 3 wrk script
	mediaDir     string
	privateKey   *rsa.PrivateKey
	redisPrefix  string // the gateway's keys in -redis, removed at the end
	kid          string
	s3           *s3env // versitygw, for scenarios 5 and 6; nil when not asked for
	presignedURL string // scenario 7: the S3 endpoint, presigned GET of big.mp4
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func setUp(dir string, o options) (*env, error) {
	e := &env{dir: dir, o: o, mediaDir: filepath.Join(dir, "media")}
	if err := os.MkdirAll(filepath.Join(e.mediaDir, "films"), 0o755); err != nil {
		return nil, err
	}
	// A 100 MiB file of varied bytes, so neither server can shortcut it.
	big := make([]byte, bigFileSize)
	for i := range big {
		big[i] = byte(i*7 + i>>13)
	}
	if err := os.WriteFile(filepath.Join(e.mediaDir, "films", "big.mp4"), big, 0o644); err != nil {
		return nil, err
	}
	if err := e.startGateway(); err != nil {
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	if err := e.configureGateway(); err != nil {
		e.tearDown()
		return nil, fmt.Errorf("configure gateway: %w", err)
	}
	if err := e.startNginx(); err != nil {
		e.tearDown()
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	if o.needS3() {
		if err := e.startVersitygw(); err != nil {
			e.tearDown()
			return nil, fmt.Errorf("start versitygw: %w", err)
		}
		if err := e.configureS3(); err != nil {
			e.tearDown()
			return nil, fmt.Errorf("set up the S3 scenarios: %w", err)
		}
	}
	return e, nil
}

// pprofAddr is where the gateway under test serves its profiler, so that a
// run can be profiled: go tool pprof http://127.0.0.1:6061/debug/pprof/profile
const pprofAddr = "127.0.0.1:6061"

func (e *env) startGateway() error {
	bin, err := buildGateway(e.dir)
	if err != nil {
		return err
	}
	addr := freeAddr()
	e.gatewayURL = "http://" + addr
	cmd := exec.Command("taskset", "-c", e.o.serverCPUs, bin, "serve")
	cmd.Env = append(os.Environ(),
		"GOMAXPROCS="+strconv.Itoa(e.o.workers),
		"GATEWAY_ADDR="+addr,
		"GATEWAY_PUBLIC_URL="+e.gatewayURL,
		"GATEWAY_DATA_DIR="+filepath.Join(e.dir, "gateway-data"),
		"GATEWAY_ADMIN_TOKEN="+adminToken,
		"GATEWAY_LOG_LEVEL=error",
		"GATEWAY_PPROF_ADDR="+pprofAddr,
		"GATEWAY_FETCH_ALLOW_CIDRS=127.0.0.0/8",
	)
	if e.o.redisURL != "" {
		// A prefix of its own: the run neither reads nor clobbers other keys.
		e.redisPrefix = "gateway-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
		cmd.Env = append(cmd.Env, "GATEWAY_REDIS_URL="+e.o.redisURL, "GATEWAY_REDIS_PREFIX="+e.redisPrefix)
	}
	logf, _ := os.Create(filepath.Join(e.dir, "gateway.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	e.gatewayCmd = cmd
	return waitHTTP(e.gatewayURL + "/healthz")
}

func waitHTTP(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s does not answer", url)
}

func (e *env) admin(method, path string, body any) (map[string]any, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.gatewayURL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	if resp.StatusCode >= 300 {
		return out, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return out, nil
}

func (e *env) configureGateway() error {
	if _, err := e.admin("PUT", "/v1/buckets/films", map[string]string{
		"origin": "file://" + filepath.Join(e.mediaDir, "films"), "policy": "authenticated"}); err != nil {
		return err
	}
	out, err := e.admin("POST", "/v1/signing-keys", map[string]string{"bucket": "films"})
	if err != nil {
		return err
	}
	sk := out["signing_key"].(map[string]any)
	e.kid = sk["id"].(string)
	if e.privateKey, err = token.ParsePrivate([]byte(sk["private_key"].(string))); err != nil {
		return err
	}
	exp := time.Now().Add(2 * time.Hour)
	if e.sameToken, err = token.Sign(e.privateKey, e.kid, token.Claims{ExpiresAt: exp}); err != nil {
		return err
	}
	if err := e.writeTokenScript(exp); err != nil {
		return err
	}
	if err := e.presignS3(); err != nil {
		return err
	}

	// Scenario 1: a signed conversion URL whose result is cached.
	if _, err := e.admin("POST", "/v1/signed-url-bases", map[string]string{
		"id": "bench", "signing_secret": baseSecret}); err != nil {
		return err
	}
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range m.Pix {
		m.Pix[i] = color.RGBA{200, 30, 30, 255}.R
	}
	png.Encode(&img, m)
	job := fmt.Sprintf(`{"tasks":{"in":{"operation":"import/base64","file":%q,"filename":"dot.png"},"out":{"operation":"export/url","input":"in"}}}`,
		base64.StdEncoding.EncodeToString(img.Bytes()))
	e.signedURL = urlsig.Sign(e.gatewayURL+"/bench", baseSecret, []byte(job), "bench-key")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(e.signedURL)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("warming the signed URL: got %d %s", resp.StatusCode, body)
	}
	return nil
}

// presignS3 makes scenario 7's URL: an access key of the films bucket, and
// a GET of big.mp4 on the S3 endpoint presigned with it by the AWS SDK for
// Go's signer, as an application would.
func (e *env) presignS3() error {
	out, err := e.admin("POST", "/v1/access-keys", map[string]any{"bucket": "films", "permissions": []string{"read"}})
	if err != nil {
		return err
	}
	k := out["access_key"].(map[string]any)
	req, err := http.NewRequest(http.MethodGet, e.gatewayURL+"/s3/films/big.mp4?X-Amz-Expires=43200", nil)
	if err != nil {
		return err
	}
	creds := aws.Credentials{AccessKeyID: k["access_key_id"].(string), SecretAccessKey: k["secret_access_key"].(string)}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	e.presignedURL, _, err = signer.PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
	return err
}

// writeTokenScript writes a wrk script that sends a different valid token,
// for a random 1 MiB range, on every request.
func (e *env) writeTokenScript(exp time.Time) error {
	var b strings.Builder
	b.WriteString("local tokens = {\n")
	for i := 0; i < tokenVariety; i++ {
		t, err := token.Sign(e.privateKey, e.kid, token.Claims{ExpiresAt: exp.Add(time.Duration(i) * time.Second)})
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%q,\n", t)
	}
	b.WriteString("}\n")
	b.WriteString(rangeLua)
	b.WriteString(`
local n = 0
request = function()
  n = n + 1
  local t = tokens[(n % #tokens) + 1]
  return wrk.format("GET", wrk.path .. "?auth=" .. t, {["Range"] = random_range()})
end
`)
	e.tokenScript = filepath.Join(e.dir, "tokens.lua")
	return os.WriteFile(e.tokenScript, []byte(b.String()), 0o644)
}

const rangeLua = `
math.randomseed(12345)
local chunk = 1048576
local chunks = 100
function random_range()
  local off = math.random(0, chunks - 1) * chunk
  return "bytes=" .. off .. "-" .. (off + chunk - 1)
end
`

// nginxLink is nginx's secure_link form of a signed link: md5 over
// expires, URI and secret, in URL-safe base64.
func nginxLink(base, uri string, expires int64) string {
	sum := md5.Sum([]byte(strconv.FormatInt(expires, 10) + uri + " " + nginxSecret))
	return fmt.Sprintf("%s%s?md5=%s&expires=%d", base, uri, base64.RawURLEncoding.EncodeToString(sum[:]), expires)
}

func (e *env) startNginx() error {
	addr := freeAddr()
	e.nginxURL = "http://" + addr
	prefix := filepath.Join(e.dir, "nginx")
	os.MkdirAll(filepath.Join(prefix, "logs"), 0o755)
	conf := fmt.Sprintf(`
worker_processes %d;
error_log %s/logs/error.log error;
pid %s/nginx.pid;
events { worker_connections 16384; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { video/mp4 mp4; }
  client_body_temp_path %s/body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  server {
    listen %s;
    location /s/ {
      secure_link $arg_md5,$arg_expires;
      secure_link_md5 "$secure_link_expires$uri %s";
      if ($secure_link = "") { return 403; }
      if ($secure_link = "0") { return 410; }
      return 302 %s/outputs/result.png;
    }
    location /media/films/ {
      alias %s/films/;
    }
  }
}
`, e.o.workers, prefix, prefix, prefix, prefix, prefix, prefix, prefix, addr, nginxSecret, e.nginxURL, e.mediaDir)
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
	}
	cmd := exec.Command("taskset", "-c", e.o.serverCPUs, nginx, "-p", prefix, "-c", confPath, "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	e.nginxCmd = cmd
	e.nginxLinkURL = nginxLink(e.nginxURL, "/s/report.pdf", time.Now().Add(2*time.Hour).Unix())
	return waitHTTP(e.nginxURL + "/media/films/big.mp4")
}

func (e *env) tearDown() {
	e.s3.stop()
	for _, c := range []*exec.Cmd{e.nginxCmd, e.gatewayCmd} {
		if c != nil && c.Process != nil {
			syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
			c.Wait()
		}
	}
	if e.redisPrefix != "" {
		if err := removeKeys(e.o.redisURL, e.redisPrefix); err != nil {
			log.Printf("removing the run's Redis keys (%s*): %v", e.redisPrefix, err)
		}
	}
}

// removeKeys deletes every key under prefix.
func removeKeys(redisURL, prefix string) error {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}
