package main

import (
	"flag"
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
	fs := flag.NewFlagSet("gateway sign upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", "", "the API secret (required)")
	algo := fs.String("algo", "sha1", "digest: sha1 or sha256")
	version := fs.Int("version", 2, "signature version: 2 (current SDKs) or 1 (no escaping of &)")
	explain := fs.Bool("explain", false, "also print the string to sign")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gateway sign upload --secret S [--algo sha1|sha256] [--version 1|2] [--explain] param=value ...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var a uploadsig.Algorithm
	switch *algo {
	case "sha1":
		a = uploadsig.SHA1
	case "sha256":
		a = uploadsig.SHA256
	default:
		fmt.Fprintf(stderr, "gateway sign upload: --algo must be sha1 or sha256, not %q\n", *algo)
		return 2
	}
	if *version != 1 && *version != 2 {
		fmt.Fprintf(stderr, "gateway sign upload: --version must be 1 or 2, not %d\n", *version)
		return 2
	}
	if *secret == "" {
		fmt.Fprintln(stderr, "gateway sign upload: --secret is required")
		return 2
	}
	values := url.Values{}
	for _, arg := range fs.Args() {
		k, v, ok := strings.Cut(arg, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "gateway sign upload: %q is not param=value\n", arg)
			return 2
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
