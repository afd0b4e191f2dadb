package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

func init() {
	signers["cloudconvert"] = signer{
		summary: "a signed conversion URL (CloudConvert-compatible)",
		run: func(args []string) int {
			return signCloudConvert(args, os.Stdin, os.Stdout, os.Stderr)
		},
	}
}

var cacheKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)

// signCloudConvert prints a signed URL for a job, built as the official
// SDKs build them; --explain also prints the string that was signed.
func signCloudConvert(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("gateway sign cloudconvert", `usage: gateway sign cloudconvert --base URL --secret S --job FILE|- [--cache-key K] [--explain]

Prints a signed conversion URL for a job, built as the official SDKs build
it. The job is checked as the gateway would check it first.
`, stdout, stderr)
	base := c.String("base", "", "the signed-URL base, exactly as registered (required)")
	secret := c.String("secret", "", "the base's signing secret (required)")
	jobFile := c.String("job", "", "file holding the job JSON, or - for standard input (required)")
	cacheKey := c.String("cache-key", "", "cache the result under this key ([A-Za-z0-9_-])")
	explain := c.Bool("explain", false, "also print the string that was signed, on standard error")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if code, ok := c.noArgs(); !ok {
		return code
	}
	for _, required := range []struct{ name, value string }{{"base", *base}, {"secret", *secret}, {"job", *jobFile}} {
		if required.value == "" {
			return c.fail("--%s is required", required.name)
		}
	}
	if !cacheKeyPattern.MatchString(*cacheKey) {
		return c.fail("--cache-key may contain only A-Z, a-z, 0-9, _ and -")
	}
	var raw []byte
	var err error
	if *jobFile == "-" {
		raw, err = io.ReadAll(io.LimitReader(stdin, jobspec.MaxPayload+1))
	} else {
		raw, err = os.ReadFile(*jobFile)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gateway sign cloudconvert: read job: %v\n", err)
		return 1
	}
	// Refuse a job the gateway would refuse, before a broken link is
	// published.
	job, err := jobspec.Decode(raw)
	if err == nil {
		err = jobspec.Validate(job)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gateway sign cloudconvert: invalid job: %v\n", err)
		return 1
	}
	// Compact keeps the task order and the spelling of every value; it
	// only drops whitespace, so the URL is as short as the SDKs' are.
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		fmt.Fprintf(stderr, "gateway sign cloudconvert: invalid job: %v\n", err)
		return 1
	}
	signed := urlsig.Sign(*base, *secret, compact.Bytes(), *cacheKey)
	if *explain {
		fmt.Fprintf(stderr, "string to sign: %s\n", urlsig.Unsigned(*base, compact.Bytes(), *cacheKey))
	}
	fmt.Fprintln(stdout, signed)
	return 0
}
