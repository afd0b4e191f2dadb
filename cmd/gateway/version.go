package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; the
// Dockerfile passes its VERSION build argument, "dev" unless given.
var version = "dev"

const versionUsage = `usage: gateway version [--json]

Prints the gateway's version and the source revision it was built from, as
the Go toolchain recorded them in the binary.
`

func runVersion(args []string, stdout, stderr io.Writer) int {
	c := newCommand("gateway version", versionUsage, stdout, stderr)
	asJSON := c.Bool("json", false, "print one JSON object instead of a line")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if code, ok := c.noArgs(); !ok {
		return code
	}
	bi, _ := debug.ReadBuildInfo() // nil in a binary built without module support
	b := readBuild(version, bi)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(b); err != nil {
			fmt.Fprintln(stderr, "gateway version:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintln(stdout, b)
	return 0
}

// build is what is known of how the binary was built.
type build struct {
	// Version is the -ldflags version, else the main module's version as
	// the Go toolchain stamped it (a tag, or a pseudo-version made of the
	// commit's time and hash). When neither is known it is "devel" for a
	// build whose revision is known, and "dev" when nothing at all is.
	Version string `json:"version"`
	// Revision is the VCS commit, Time its commit time (RFC 3339), and
	// Modified whether the work tree had uncommitted changes.
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
}

// readBuild gathers the version: ldVersion is main.version, bi the binary's
// build information (nil when there is none).
func readBuild(ldVersion string, bi *debug.BuildInfo) build {
	b := build{Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if ldVersion != "dev" {
		b.Version = ldVersion
	}
	if bi != nil {
		if b.Version == "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			b.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			case "GOOS":
				b.OS = s.Value
			case "GOARCH":
				b.Arch = s.Value
			}
		}
	}
	switch {
	case b.Version != "":
	case b.Revision != "":
		b.Version = "devel"
	default:
		b.Version = "dev"
	}
	return b
}

// String is the one line gateway version prints, such as
// "gateway v1.2.3 (rev 24eff4b1a2c3, 2026-12-06T16:03:00Z, go1.26.0 linux/amd64)",
// with "+dirty" after a revision that had uncommitted changes.
func (b build) String() string {
	var details []string
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if b.Modified {
			rev += "+dirty"
		}
		details = append(details, "rev "+rev)
	}
	if b.Time != "" {
		details = append(details, b.Time)
	}
	details = append(details, b.Go+" "+b.OS+"/"+b.Arch)
	return "gateway " + b.Version + " (" + strings.Join(details, ", ") + ")"
}
