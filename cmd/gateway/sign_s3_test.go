package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify/sigv4"
)

const s3TestSecret = "gatewayExampleSecretKey0123456789abcdefgh"

var s3TestNow = time.Date(2026, 12, 6, 8, 0, 0, 500, time.UTC)

func runSignS3(t *testing.T, args []string, stdin string, env map[string]string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = signS3(args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] }, s3TestNow)
	return code, out.String(), errOut.String()
}

// verifyS3URL checks a printed URL the way the S3 endpoint will.
func verifyS3URL(t *testing.T, method, printed, secret, region string, at time.Time) (*sigv4.Auth, error) {
	t.Helper()
	u, err := url.Parse(strings.TrimSuffix(printed, "\n"))
	if err != nil {
		t.Fatalf("printed %q: %v", printed, err)
	}
	req := &sigv4.Request{Method: method, Host: u.Host, EscapedPath: u.EscapedPath(), RawQuery: u.RawQuery, Header: http.Header{}}
	a, err := sigv4.Parse(req)
	if err != nil {
		return nil, err
	}
	return a, sigv4.Verify(req, a, secret, region, at)
}

func TestSignS3(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		env      map[string]string
		method   string
		prefix   string // of the printed URL
		region   string
		lifetime time.Duration
	}{
		{name: "defaults", args: []string{"--key-id", "AKIAGATEWAYEXAMPLE01", "--secret", s3TestSecret, "/films/a.mp4"},
			method: "GET", prefix: "http://localhost:8080/s3/films/a.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&", region: "us-east-1", lifetime: time.Hour},
		{name: "put, a key to encode, a week", args: []string{"--key-id", "AKID", "--secret", s3TestSecret, "--method", "put", "--expires", "168h",
			"--url-base", "https://gw.example/", "/films/dir/a b+c ü.mp4"},
			method: "PUT", prefix: "https://gw.example/s3/films/dir/a%20b%2Bc%20%C3%BC.mp4?", region: "us-east-1", lifetime: 7 * 24 * time.Hour},
		{name: "region and base from the environment, secret from stdin", args: []string{"--key-id", "AKID", "--secret", "-", "--method", "DELETE", "/b/k"},
			stdin: s3TestSecret + "\n", env: map[string]string{"GATEWAY_S3_API_REGION": "eu-west-1", "GATEWAY_PUBLIC_URL": "http://gw:9000"},
			method: "DELETE", prefix: "http://gw:9000/s3/b/k?", region: "eu-west-1", lifetime: time.Hour},
		{name: "key and secret from the AWS variables", args: []string{"--method", "HEAD", "--expires", "90s", "--region", "ap-south-1", "/b/k"},
			env:    map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": s3TestSecret},
			method: "HEAD", prefix: "http://localhost:8080/s3/b/k?", region: "ap-south-1", lifetime: 90 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runSignS3(t, tc.args, tc.stdin, tc.env)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.HasPrefix(out, tc.prefix) || strings.Count(out, "\n") != 1 {
				t.Errorf("printed %q, want one line starting %q", out, tc.prefix)
			}
			if errOut != "" {
				t.Errorf("stderr %q without --explain", errOut)
			}
			at := s3TestNow.Truncate(time.Second)
			a, err := verifyS3URL(t, tc.method, out, s3TestSecret, tc.region, at)
			if err != nil {
				t.Fatalf("the printed URL does not verify: %v", err)
			}
			if a.Expires != tc.lifetime {
				t.Errorf("expires %v, want %v", a.Expires, tc.lifetime)
			}
			if _, err := verifyS3URL(t, tc.method, out, s3TestSecret, tc.region, at.Add(tc.lifetime+time.Second)); !errors.Is(err, sigv4.ErrExpired) {
				t.Errorf("after its lifetime: got %v, want ErrExpired", err)
			}
			if _, err := verifyS3URL(t, "POST", out, s3TestSecret, tc.region, at); !errors.Is(err, sigv4.ErrSignatureDoesNotMatch) {
				t.Errorf("another method: got %v, want ErrSignatureDoesNotMatch", err)
			}
		})
	}
}

func TestSignS3Explain(t *testing.T) {
	code, out, errOut := runSignS3(t, []string{"--key-id", "AKID", "--secret", s3TestSecret, "--explain", "/films/a.mp4"}, "", nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "http://localhost:8080/s3/films/a.mp4?") {
		t.Errorf("stdout %q, want the URL alone", out)
	}
	for _, want := range []string{"canonical request:\nGET\n/s3/films/a.mp4\nX-Amz-Algorithm=", "\nhost:localhost:8080\n",
		"string to sign:\nAWS4-HMAC-SHA256\n20261206T080000Z\n20261206/us-east-1/s3/aws4_request\n", "signature: "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(out+errOut, s3TestSecret) {
		t.Error("the secret was printed")
	}
}

func TestSignS3Refusals(t *testing.T) {
	key := []string{"--key-id", "AKID", "--secret", s3TestSecret}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{"expiry over a week", append(key, "--expires", "169h", "/b/k"), nil, "7 days"},
		{"expiry zero", append(key, "--expires", "0s", "/b/k"), nil, "--expires"},
		{"expiry not whole seconds", append(key, "--expires", "1500ms", "/b/k"), nil, "whole seconds"},
		{"expiry not a duration", append(key, "--expires", "soon", "/b/k"), nil, "invalid value"},
		{"no key id", []string{"--secret", "s", "/b/k"}, nil, "--key-id"},
		{"no secret", []string{"--key-id", "AKID", "/b/k"}, nil, "secret is required"},
		{"empty secret on stdin", []string{"--key-id", "AKID", "--secret", "-", "/b/k"}, nil, "secret is required"},
		{"another method", append(key, "--method", "POST", "/b/k"), nil, "--method"},
		{"no path", key, nil, "usage"},
		{"two paths", append(key, "/b/k", "/b/l"), nil, "usage"},
		{"relative path", append(key, "b/k"), nil, "/bucket/key"},
		{"bad url base", append(key, "--url-base", "ftp://x", "/b/k"), nil, "http"},
		{"bad url base from the environment", append(key, "/b/k"), map[string]string{"GATEWAY_PUBLIC_URL": "gw.example"}, "http"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runSignS3(t, tc.args, "", tc.env)
			if code != 2 || out != "" {
				t.Errorf("got exit %d, stdout %q; want 2 and nothing", code, out)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q lacks %q", errOut, tc.want)
			}
			if strings.Contains(errOut, s3TestSecret) {
				t.Error("the secret was printed")
			}
		})
	}
	if code, _, _ := runSignS3(t, []string{"--help"}, "", nil); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
}
