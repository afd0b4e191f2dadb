package main

// The S3 scenarios put the gateway in front of a real S3-compatible server,
// versitygw, and compare it with the same reads sent to versitygw directly
// with presigned URLs.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/verify/token"
)

// versitygwInstall installs the versitygw the S3 scenarios are written
// against (the one the tests use).
const versitygwInstall = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

const (
	s3Bucket       = "media" // the S3 bucket in versitygw
	s3Prefix       = "films" // the gateway bucket's prefix in it
	s3GatewayName  = "s3films"
	s3Region       = "us-east-1"
	hugeObjectSize = 1 << 30
)

// versitygwPprofAddr is where versitygw serves its profiler.
const versitygwPprofAddr = "127.0.0.1:6062"

// s3env is versitygw and what the S3 scenarios need of it.
type s3env struct {
	cmd       *exec.Cmd
	exited    chan struct{}
	endpoint  string // http://127.0.0.1:PORT
	accessKey string
	secretKey string
	root      string // posix backend: one directory per bucket
	client    *s3.Client
	token     string // RS256 token of the gateway's s3films bucket
	presigned string // presigned GET of the 100 MiB object
}

// findVersitygw looks for versitygw on PATH, then where `go install` puts
// it ($GOBIN, or the bin directory of each GOPATH entry).
func findVersitygw() (string, error) {
	if bin, err := exec.LookPath("versitygw"); err == nil {
		return bin, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		// One line each; GOBIN's is empty when it is not set.
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				dirs = append(dirs, lines[0])
			}
			for _, p := range filepath.SplitList(lines[1]) {
				if p != "" {
					dirs = append(dirs, filepath.Join(p, "bin"))
				}
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("versitygw is missing (not on PATH, nor in %s): install it with `%s`",
		strings.Join(dirs, " or "), versitygwInstall)
}

// startVersitygw starts versitygw on the servers' CPUs with their
// parallelism: it is the storage behind the gateway in the S3 scenarios and
// the server the gateway is compared with. Its posix backend keeps objects
// as files under root, and their metadata in a sidecar directory outside it.
func (e *env) startVersitygw() error {
	bin, err := findVersitygw()
	if err != nil {
		return err
	}
	s := &s3env{
		accessKey: "AK" + strings.ToUpper(randomHex(9)),
		secretKey: randomHex(20),
		root:      filepath.Join(e.dir, "s3", "root"),
	}
	meta := filepath.Join(e.dir, "s3", "meta")
	for _, d := range []string{s.root, meta} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	addr := freeAddr()
	s.endpoint = "http://" + addr
	cmd := exec.Command("taskset", "-c", e.o.s3CPUs, bin,
		"--access", s.accessKey, "--secret", s.secretKey, "--region", s3Region,
		"--port", addr, "--keep-alive", "--quiet", "--pprof", versitygwPprofAddr,
		"posix", "--sidecar", meta, s.root)
	cmd.Env = append(versitygwEnviron(), "GOMAXPROCS="+strconv.Itoa(e.o.workers))
	logPath := filepath.Join(e.dir, "versitygw.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	e.s3 = s

	// Any HTTP answer will do: an unsigned request is refused with 403.
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(s.endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-s.exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("versitygw exited (%v):\n%s", cmd.ProcessState, out)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw on %s does not answer: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	s.client = s3.NewFromConfig(aws.Config{
		Region:      s3Region,
		Credentials: credentials.NewStaticCredentialsProvider(s.accessKey, s.secretKey, ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		// The upload streams once, unhashed; the request is signed as ever.
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	return nil
}

// versitygwEnviron is this process's environment without the variables
// versitygw reads in place of flags.
func versitygwEnviron() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "VGW_"), strings.HasPrefix(name, "ROOT_"),
			name == "LOGFILE", name == "WEBHOOK", name == "GOMAXPROCS":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// configureS3 creates the S3 bucket, uploads the 100 MiB file of scenario 2
// to it, gives the gateway an authenticated bucket on it with a signing key
// of its own, and presigns the direct GET.
func (e *env) configureS3() error {
	s := e.s3
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		return fmt.Errorf("create the S3 bucket: %w", err)
	}
	f, err := os.Open(filepath.Join(e.mediaDir, "films", "big.mp4"))
	if err != nil {
		return err
	}
	defer f.Close()
	key := s3Prefix + "/big.mp4"
	if _, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s3Bucket), Key: aws.String(key), Body: f,
		ContentLength: aws.Int64(bigFileSize), ContentType: aws.String("video/mp4"),
	}); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}

	if _, err := e.admin("PUT", "/v1/buckets/"+s3GatewayName, map[string]any{
		"origin": "s3://" + s3Bucket + "/" + s3Prefix, "policy": "authenticated",
		"s3": map[string]any{
			"endpoint": s.endpoint, "region": s3Region,
			"access_key_id": s.accessKey, "secret_access_key": s.secretKey,
			"force_path_style": true,
		}}); err != nil {
		return err
	}
	out, err := e.admin("POST", "/v1/signing-keys", map[string]string{"bucket": s3GatewayName})
	if err != nil {
		return err
	}
	sk := out["signing_key"].(map[string]any)
	priv, err := token.ParsePrivate([]byte(sk["private_key"].(string)))
	if err != nil {
		return err
	}
	if s.token, err = token.Sign(priv, sk["id"].(string), token.Claims{ExpiresAt: time.Now().Add(12 * time.Hour)}); err != nil {
		return err
	}

	// The Range header is not part of the signature: wrk's script adds it.
	req, err := s3.NewPresignClient(s.client, func(o *s3.PresignOptions) { o.Expires = 12 * time.Hour }).
		PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("presign: %w", err)
	}
	s.presigned = req.URL

	// Both ends answer a range before the run starts.
	for _, u := range []string{s.presigned, e.s3GatewayURL("big.mp4")} {
		if err := checkRange(u); err != nil {
			return err
		}
	}
	return nil
}

// s3GatewayURL is the gateway's authenticated URL of an object of the S3
// bucket.
func (e *env) s3GatewayURL(name string) string {
	return e.gatewayURL + "/media/" + s3GatewayName + "/" + name + "?auth=" + e.s3.token
}

// checkRange reads the second MiB of url's object and checks its bytes.
func checkRange(url string) error {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Range", "bytes=1048576-2097151")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 2<<20))
	if resp.StatusCode != http.StatusPartialContent || err != nil || len(body) != 1<<20 {
		return fmt.Errorf("GET %s with a range: %d (%d bytes, %v)", hideQuery(url), resp.StatusCode, len(body), err)
	}
	for i := range body {
		if j := 1<<20 + i; body[i] != byte(j*7+j>>13) {
			return fmt.Errorf("GET %s with a range: wrong bytes at %d", hideQuery(url), j)
		}
	}
	return nil
}

// hideQuery drops a URL's query, which holds a token or a signature.
func hideQuery(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

// placeHugeObject puts a 1 GiB sparse file straight into versitygw's posix
// root, under the bucket's directory: versitygw serves a file it finds there
// as an object (with its default ETag), and nothing is written or hashed.
func (e *env) placeHugeObject() (remove func(), err error) {
	path := filepath.Join(e.s3.root, s3Bucket, s3Prefix, "huge.mp4")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	err = f.Truncate(hugeObjectSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return func() { os.Remove(path) }, nil
}

func (s *s3env) stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
