// Package s3test gives tests a real S3-compatible server: a versitygw
// process of the test's own (posix backend on a temporary directory, metadata
// in a sidecar directory, random root credentials, region us-east-1) on a
// loopback port, stopped when the test ends. versitygw checks SigV4
// signatures for real, so a request signed wrongly is refused as S3 would.
//
// Where versitygw is not installed, a test is skipped on a developer machine
// and fails in CI (CI=true), so a missing server can never pass for a green
// run. Install it with:
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/testutil"
)

// Version is the versitygw release the tests are written against.
const Version = "v1.8.0"

// InstallCommand installs the versitygw the tests expect.
const InstallCommand = "go install github.com/versity/versitygw/cmd/versitygw@" + Version

// Server is a running versitygw of one test.
type Server struct {
	// AccessKey and SecretKey are the root user's credentials, random for
	// each server.
	AccessKey string
	SecretKey string
	// Region is the region the server signs for ("us-east-1").
	Region string

	bin    string
	root   string // posix backend: one directory per bucket
	meta   string // sidecar directory of object and bucket metadata
	port   int
	proc   testutil.Process
	client *s3.Client
}

// Start starts a versitygw for t, waits until it answers and stops it when t
// ends; its output is shown in the test log when t has failed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		testutil.MissingTool(t, fmt.Sprintf("versitygw (%v)", err), InstallCommand)
	}
	s := &Server{
		AccessKey: "AK" + strings.ToUpper(randomHex(9)),
		SecretKey: randomHex(20),
		Region:    "us-east-1",
		bin:       bin,
		root:      t.TempDir(),
		meta:      t.TempDir(),
	}
	t.Cleanup(func() {
		s.proc.Stop()
		if t.Failed() {
			t.Logf("versitygw output (port %d):\n%s", s.port, s.proc.Log())
		}
	})
	// The port is free when chosen but could be taken before versitygw binds
	// it: try again on another one when versitygw exits at once.
	for attempt := 1; ; attempt++ {
		s.port = testutil.FreePort(t)
		err := s.start()
		if err == nil {
			break
		}
		if attempt == 3 || !errors.Is(err, testutil.ErrExited) {
			t.Fatalf("start versitygw: %v", err)
		}
	}
	s.client = s.NewClient(s.AccessKey, s.SecretKey)
	return s
}

// Endpoint is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return "http://" + s.Addr() }

// Addr is 127.0.0.1:PORT.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Client is an S3 client of the root user (path-style requests, SigV4).
func (s *Server) Client() *s3.Client { return s.client }

// NewClient returns an S3 client of the server that signs with the given
// credentials, for a test of what the server does with wrong ones.
func (s *Server) NewClient(accessKey, secretKey string) *s3.Client {
	cfg := aws.Config{
		Region:      s.Region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint())
		o.UsePathStyle = true
	})
}

// CreateBucket creates a bucket with a signed CreateBucket call; t fails when
// the server refuses it.
func (s *Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %q: %v", name, err)
	}
}

// Log is what versitygw printed so far: a banner, then one line a request.
func (s *Server) Log() string { return s.proc.Log() }

// Installed reports why versitygw cannot be found where Start looks for
// it, or nil: for tests that must fail, not skip, without it.
func Installed() error {
	_, err := findBinary()
	return err
}

// start starts versitygw on s.port and waits until it answers HTTP.
func (s *Server) start() error {
	cmd := exec.Command(s.bin,
		"--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", s.Addr(), "--keep-alive",
		"posix", "--sidecar", s.meta, s.root)
	cmd.Env = environ()
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	s.proc.Name = fmt.Sprintf("versitygw on port %d", s.port)
	return s.proc.Start(cmd, 30*time.Second, func() error {
		// Any HTTP answer will do: an unsigned request is refused with 403.
		resp, err := hc.Get(s.Endpoint() + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
}

// environ is the test's environment without the variables versitygw reads
// in place of flags, so that a developer's settings cannot change the server.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "VGW_"), strings.HasPrefix(name, "ROOT_"),
			name == "LOGFILE", name == "WEBHOOK":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// findBinary looks for versitygw on PATH, then where `go install` puts it.
func findBinary() (string, error) { return testutil.FindGoBinary("versitygw") }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
