package archive

import (
	"fmt"
	"strings"

	"github.com/signedgate/gateway/internal/engine"
)

// cleanPath turns a user-facing name into a relative archive path: both / and
// \ separate directories, and empty, "." and ".." elements are dropped, so
// "../../etc/passwd" and "/etc/passwd" both become "etc/passwd" and nothing
// can extract outside the target directory (the "zip slip" attack).
func cleanPath(name string) string {
	var parts []string
	for _, p := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if p = engine.SanitizeName(p, ""); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "file"
	}
	return strings.Join(parts, "/")
}

// namer hands out unique entry names. Names are compared case-insensitively,
// because "A.png" and "a.png" overwrite each other when extracted on Windows
// or macOS.
type namer struct {
	used map[string]bool
}

func newNamer() *namer { return &namer{used: map[string]bool{}} }

func (n *namer) name(raw string) string {
	name := cleanPath(raw)
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = name[:i+1], name[i+1:]
	}
	stem, ext := engine.SplitExt(base)
	candidate := name
	for i := 1; n.used[strings.ToLower(candidate)]; i++ {
		candidate = fmt.Sprintf("%s%s (%d)%s", dir, stem, i, ext)
	}
	n.used[strings.ToLower(candidate)] = true
	return candidate
}
