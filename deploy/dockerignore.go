package deploy

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// Dockerignore is a parsed .dockerignore: patterns in order, the last
// that matches a path deciding whether it leaves the build context.
type Dockerignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	segments []string // the cleaned pattern split at /
	keep     bool     // a !pattern: brought back into the context
	line     int
}

// ParseDockerignore reads a .dockerignore as Docker does: # comments,
// blank lines, patterns cleaned as paths (a leading or trailing / means
// nothing), ! for exceptions, ** for any number of directories, and the
// other wildcards of path.Match within one directory. A pattern matching
// a directory matches everything under it.
func ParseDockerignore(r io.Reader) (*Dockerignore, error) {
	di := &Dockerignore{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		rule := ignoreRule{line: n}
		if rest, ok := strings.CutPrefix(p, "!"); ok {
			rule.keep, p = true, strings.TrimSpace(rest)
		}
		p = strings.Trim(path.Clean(strings.TrimLeft(p, "/")), "/")
		if p == "" || p == "." {
			return nil, fmt.Errorf("line %d: an empty pattern", n)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "**" {
				if k := len(rule.segments); k == 0 || rule.segments[k-1] != "**" {
					rule.segments = append(rule.segments, seg) // **/** is **
				}
				continue
			}
			rule.segments = append(rule.segments, seg)
			if _, err := path.Match(seg, ""); err != nil {
				return nil, fmt.Errorf("line %d: %q: %v", n, p, err)
			}
		}
		di.rules = append(di.rules, rule)
	}
	return di, sc.Err()
}

// Ignored reports whether name, a slash-separated path relative to the
// context's root, is left out of the build context, and the line of the
// pattern that decided it (0: none matched, so it is in).
func (di *Dockerignore) Ignored(name string) (bool, int) {
	name = strings.Trim(path.Clean(name), "/")
	parts := strings.Split(name, "/")
	ignored, line := false, 0
	for _, r := range di.rules {
		// The path itself, or a directory above it.
		for i := len(parts); i >= 1; i-- {
			if matchSegments(r.segments, parts[:i]) {
				ignored, line = !r.keep, r.line
				break
			}
		}
	}
	return ignored, line
}

// matchSegments matches a pattern against a path, segment by segment;
// ** matches any number of segments, none included.
func matchSegments(pat, parts []string) bool {
	if len(pat) == 0 {
		return len(parts) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(parts); i++ {
			if matchSegments(pat[1:], parts[i:]) {
				return true
			}
		}
		return false
	}
	if len(parts) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], parts[0])
	return ok && matchSegments(pat[1:], parts[1:])
}
