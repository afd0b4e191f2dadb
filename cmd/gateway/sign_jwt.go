package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/verify/token"
)

func init() {
	signers["jwt"] = signer{
		summary: "make a bucket-delivery token (RS256 JWT) with a signing key's private key",
		run:     func(args []string) int { return runSignJWT(args, os.Stdout, os.Stderr, time.Now()) },
	}
}

// runSignJWT prints a token, or the URL carrying it when --url is given.
func runSignJWT(args []string, stdout, stderr io.Writer, now time.Time) int {
	c := newCommand("gateway sign jwt", `usage: gateway sign jwt --key private.pem --kid ID [--uri /dir/] [--ttl 1h] [--nbf TIME] [--url https://host/path]

Prints a bucket-delivery token (an RS256 JWT) signed with a signing key's
private key, or with --url the URL carrying it.
`, stdout, stderr)
	keyFile := c.String("key", "", "file with the signing key's private key (PEM, as POST /v1/signing-keys returned it) (required)")
	kid := c.String("kid", "", "the signing key's id (required)")
	uri := c.String("uri", "", `directory or file the token opens, such as /films/ ("" = the whole bucket)`)
	ttl := c.Duration("ttl", time.Hour, "lifetime: exp = now + ttl (0 = no exp)")
	nbf := c.String("nbf", "", "not before: RFC 3339 time, Unix seconds, or a duration from now such as +5m or -1m")
	rawURL := c.String("url", "", "print this URL with ?auth=<token> added instead of the bare token")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if code, ok := c.noArgs(); !ok {
		return code
	}
	if *keyFile == "" {
		return c.fail("--key is required")
	}
	if *kid == "" {
		return c.fail("--kid is required")
	}
	out, err := signJWT(*keyFile, *kid, *uri, *ttl, *nbf, *rawURL, now)
	if err != nil {
		fmt.Fprintln(stderr, "gateway sign jwt:", err)
		return 1
	}
	fmt.Fprintln(stdout, out)
	return 0
}

func signJWT(keyFile, kid, uri string, ttl time.Duration, nbf, rawURL string, now time.Time) (string, error) {
	if ttl < 0 {
		return "", errors.New("--ttl must not be negative")
	}
	pemData, err := os.ReadFile(keyFile)
	if err != nil {
		return "", err
	}
	priv, err := token.ParsePrivate(pemData)
	if err != nil {
		return "", err
	}
	c := token.Claims{URI: uri}
	if ttl > 0 {
		c.ExpiresAt = now.Add(ttl)
	}
	if nbf != "" {
		if c.NotBefore, err = parseTime(nbf, now); err != nil {
			return "", err
		}
	}
	tok, err := token.Sign(priv, kid, c)
	if err != nil {
		return "", err
	}
	if rawURL == "" {
		return tok, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url %q is not an absolute http(s) URL", rawURL)
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "auth=" + tok
	return u.String(), nil
}

// parseTime reads --nbf: RFC 3339, Unix seconds, or a signed duration
// relative to now.
func parseTime(s string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if d, err := time.ParseDuration(s); err == nil {
			return now.Add(d), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--nbf %q: want RFC 3339 (2024-05-01T12:00:00Z), Unix seconds, or +duration", s)
}
