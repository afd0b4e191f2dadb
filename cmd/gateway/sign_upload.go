package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

func init() {
	signers["upload"] = signer{
		summary: "sign Cloudinary-style upload parameters (param=value ...)",
		run:     func(args []string) int { return signUpload(args, os.Stdout, os.Stderr) },
	}
}

// signUpload prints the signature of the given upload parameters, as an
// app backend would compute it; with --explain also the string to sign.
func signUpload(args []string, stdout, stderr io.Writer) int {
	c := newCommand("gateway sign upload", `usage: gateway sign upload --secret S [--algo sha1|sha256] [--version 1|2] [--explain] param=value ...

Prints the signature of Cloudinary-style upload parameters, as an app
backend computes it.
`, stdout, stderr)
	secret := c.String("secret", "", "the API secret (required)")
	algo := c.String("algo", "sha1", "digest: sha1 or sha256")
	version := c.Int("version", 2, "signature version: 2 (current SDKs) or 1 (no escaping of &)")
	explain := c.Bool("explain", false, "also print the string to sign")
	if code, ok := c.parse(args); !ok {
		return code
	}
	var a uploadsig.Algorithm
	switch *algo {
	case "sha1":
		a = uploadsig.SHA1
	case "sha256":
		a = uploadsig.SHA256
	default:
		return c.fail("--algo must be sha1 or sha256, not %q", *algo)
	}
	if *version != 1 && *version != 2 {
		return c.fail("--version must be 1 or 2, not %d", *version)
	}
	if *secret == "" {
		return c.fail("--secret is required")
	}
	values := url.Values{}
	for _, arg := range c.Args() {
		k, v, ok := strings.Cut(arg, "=")
		if !ok || k == "" {
			return c.fail("%q is not param=value", arg)
		}
		values.Add(k, v) // repeated names fold like name[] arrays
	}
	toSign := uploadsig.StringToSign(uploadsig.Collect(values), *version)
	if *explain {
		fmt.Fprintf(stdout, "string to sign: %s\n", toSign)
		fmt.Fprintf(stdout, "signature:      %s\n", uploadsig.Sign(toSign, *secret, a))
		return 0
	}
	fmt.Fprintln(stdout, uploadsig.Sign(toSign, *secret, a))
	return 0
}
