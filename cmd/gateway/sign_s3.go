package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/verify/sigv4"
)

func init() {
	signers["s3"] = signer{
		summary: "an S3 presigned URL (AWS SigV4) with an access key, for /s3/bucket/key",
		run: func(args []string) int {
			return signS3(args, os.Stdin, os.Stdout, os.Stderr, os.Getenv, time.Now())
		},
	}
}

// signS3 prints a presigned URL for <url-base>/s3/<bucket>/<key>, as an S3
// SDK's presigner pointed at the gateway would make it; --explain also
// prints what was signed, on standard error, so that stdout stays the URL.
//
// The secret comes from --secret, from standard input with --secret -, or
// from AWS_SECRET_ACCESS_KEY (the variable S3 tools read, so a shell set up
// for the gateway's S3 endpoint needs nothing more); it is never printed.
func signS3(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now time.Time) int {
	c := newCommand("gateway sign s3", `usage: gateway sign s3 --key-id ID [--secret S|-] [--method GET|PUT|HEAD|DELETE] [--expires 1h]
                     [--region us-east-1] [--url-base http://localhost:8080] [--explain] /bucket/key

Prints a presigned URL of the gateway's S3 endpoint, <url-base>/s3/bucket/key,
as an S3 SDK's presigner pointed at the gateway makes it.
`, stdout, stderr)
	keyID := c.String("key-id", getenv("AWS_ACCESS_KEY_ID"), "the access key id (default $AWS_ACCESS_KEY_ID)")
	secret := c.String("secret", "", "the secret access key, or - to read it from standard input (default $AWS_SECRET_ACCESS_KEY)")
	method := c.String("method", "GET", "GET, PUT, HEAD or DELETE")
	expires := c.Duration("expires", time.Hour, "how long the URL is valid: whole seconds, at most 168h (7 days)")
	region := c.String("region", s3EnvOr(getenv, "GATEWAY_S3_API_REGION", "us-east-1"), "the gateway's S3 region (from $GATEWAY_S3_API_REGION when set)")
	base := c.String("url-base", s3EnvOr(getenv, "GATEWAY_PUBLIC_URL", "http://localhost:8080"), "the gateway's public URL (from $GATEWAY_PUBLIC_URL when set)")
	explain := c.Bool("explain", false, "also print the canonical request and the string to sign, on standard error")
	if code, ok := c.parse(args); !ok {
		return code
	}
	fail := c.fail
	if c.NArg() != 1 {
		return fail("want one /bucket/key argument, got %d", c.NArg())
	}
	path := c.Arg(0)
	if !strings.HasPrefix(path, "/") || len(path) < 2 || strings.HasPrefix(path, "//") {
		return fail("%q: want /bucket/key (the key as stored, not URL-encoded)", path)
	}
	m := strings.ToUpper(*method)
	switch m {
	case "GET", "PUT", "HEAD", "DELETE":
	default:
		return fail("--method must be GET, PUT, HEAD or DELETE, not %q", *method)
	}
	if *expires < time.Second || *expires > sigv4.MaxExpires || *expires%time.Second != 0 {
		return fail("--expires %v: must be whole seconds from 1s to 168h (7 days), the longest S3 allows", *expires)
	}
	if *keyID == "" {
		return fail("--key-id is required (or set AWS_ACCESS_KEY_ID)")
	}
	s := *secret
	switch {
	case s == "-":
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && err != io.EOF {
			fmt.Fprintf(stderr, "gateway sign s3: read the secret: %v\n", err)
			return 1
		}
		s = strings.TrimRight(line, "\r\n")
	case s == "":
		s = getenv("AWS_SECRET_ACCESS_KEY")
	}
	if s == "" {
		return fail("a secret is required: --secret S, --secret - (standard input) or AWS_SECRET_ACCESS_KEY")
	}
	signed, ex, err := sigv4.Presign(sigv4.PresignInput{
		Method:      m,
		URL:         strings.TrimRight(*base, "/") + "/s3" + sigv4.EscapePath(path),
		AccessKeyID: *keyID,
		Secret:      s,
		Region:      *region,
		Time:        now.UTC().Truncate(time.Second),
		Expires:     *expires,
	})
	if err != nil {
		return fail("%v", err)
	}
	if *explain {
		fmt.Fprintf(stderr, "canonical request:\n%s\n\nstring to sign:\n%s\n\nsignature: %s\n", ex.CanonicalRequest, ex.StringToSign, ex.Signature)
	}
	fmt.Fprintln(stdout, signed)
	return 0
}

func s3EnvOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
