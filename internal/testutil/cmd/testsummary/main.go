// Command testsummary turns the output of `go test -json` into what go test
// prints without -json, and ends it with one line anyone can read at a
// glance, after the skipped tests with their reasons and the failed ones:
//
//	N passed, N failed, N skipped
//
// It is how `make test` reports:
//
//	go test -race -json ./... | go run ./internal/testutil/cmd/testsummary
//
// It exits 1 when a test or a package failed (a build failure, a panic or a
// timeout that ended the test binary included) or when the input held no
// test results, so that a pipeline with `set -o pipefail` fails whether go
// test or the summary found the failure. See Counts for what is counted.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: go test -json ./... | testsummary")
		os.Exit(2)
	}
	s := NewSummary(os.Stdout)
	if err := s.Read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary: read:", err)
		os.Exit(1)
	}
	if _, ok := s.Finish(); !ok {
		os.Exit(1)
	}
}
