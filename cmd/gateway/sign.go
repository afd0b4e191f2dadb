package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// signers are the "gateway sign <dialect>" commands; each dialect's file
// adds its own in an init function.
var signers = map[string]signer{}

type signer struct {
	summary string
	run     func(args []string) int
}

func runSign(args []string) int {
	names := make([]string, 0, len(signers))
	for n := range signers {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: gateway sign <dialect> [flags]\n\ndialects:")
		for _, n := range names {
			fmt.Fprintf(os.Stderr, "  %-13s %s\n", n, signers[n].summary)
		}
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	s, ok := signers[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "gateway sign: unknown dialect %q (have: %s)\n", args[0], strings.Join(names, ", "))
		return 2
	}
	return s.run(args[1:])
}
