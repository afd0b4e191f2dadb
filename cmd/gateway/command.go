package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand's command line: its flags (the standard flag
// package's, so -x and --x mean the same) and its usage text. Every
// subcommand parses its arguments through it, so that all of them answer
// alike: --help or -h prints the usage on standard output and exits 0
// without doing anything else; a bad flag or argument exits 2 with a
// message naming it and the usage on standard error. A new subcommand gets
// that by calling newCommand and parse.
type command struct {
	*flag.FlagSet
	// usage is the synopsis and what the command does; the flags, if any,
	// are listed after it.
	usage          string
	stdout, stderr io.Writer
}

// newCommand returns the command line of name ("gateway sign jwt"), whose
// usage text starts with usage.
func newCommand(name, usage string, stdout, stderr io.Writer) *command {
	c := &command{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), usage: usage, stdout: stdout, stderr: stderr}
	// The flag package's own reports go nowhere: parse writes them, each
	// to the stream it belongs on.
	c.SetOutput(io.Discard)
	c.Usage = func() {}
	return c
}

// parse parses args. ok reports whether the command should go on; when it
// should not, code is the exit code: 0 after --help (the usage is printed
// on stdout), 2 after a bad flag (reported with the usage on stderr).
func (c *command) parse(args []string) (code int, ok bool) {
	err := c.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		c.printUsage(c.stdout)
		return 0, false
	default:
		// err says which flag: "flag provided but not defined: -x",
		// "invalid value \"y\" for flag -ttl: ...".
		return c.fail("%v", err), false
	}
}

// noArgs refuses arguments left after the flags, for commands that take
// none; it returns like parse.
func (c *command) noArgs() (code int, ok bool) {
	if c.NArg() > 0 {
		return c.fail("unexpected argument %q (this command takes none)", c.Arg(0)), false
	}
	return 0, true
}

// fail reports a wrong invocation (a missing flag, a bad argument) on
// stderr, followed by the usage, and returns the exit code 2.
func (c *command) fail(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "%s: %s\n\n", c.Name(), fmt.Sprintf(format, args...))
	c.printUsage(c.stderr)
	return 2
}

func (c *command) printUsage(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(c.usage, "\n"))
	if !strings.HasSuffix(c.usage, "\n") {
		fmt.Fprintln(w)
	}
	hasFlags := false
	c.VisitAll(func(*flag.Flag) { hasFlags = true })
	if !hasFlags {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	c.SetOutput(w)
	c.PrintDefaults()
	c.SetOutput(io.Discard)
}
