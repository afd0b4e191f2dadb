package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// signers are the "gateway sign <dialect>" commands; each dialect's file
// adds its own in an init function. Its run parses its arguments with a
// command (newCommand, then parse), which gives it --help and the exit
// codes every subcommand has; TestEveryCommandAnswersHelp checks each
// signer registered here.
var signers = map[string]signer{}

type signer struct {
	summary string
	run     func(args []string) int
}

func runSign(args []string, stdout, stderr io.Writer) int {
	names := make([]string, 0, len(signers))
	for n := range signers {
		names = append(names, n)
	}
	sort.Strings(names)
	var u strings.Builder
	u.WriteString("usage: gateway sign <dialect> [flags]\n\nPrints what an app backend would sign, as it would sign it.\n\ndialects:\n")
	for _, n := range names {
		fmt.Fprintf(&u, "  %-13s %s\n", n, signers[n].summary)
	}
	u.WriteString("\nEach dialect answers --help: gateway sign <dialect> --help\n")

	c := newCommand("gateway sign", u.String(), stdout, stderr)
	if code, ok := c.parse(args); !ok {
		return code
	}
	if c.NArg() == 0 {
		return c.fail("name a dialect")
	}
	s, ok := signers[c.Arg(0)]
	if !ok {
		return c.fail("unknown dialect %q (have: %s)", c.Arg(0), strings.Join(names, ", "))
	}
	return s.run(c.Args()[1:])
}
