package engine

import (
	"slices"
	"strings"
)

// ChildPath is the PATH of every program an engine runs: the system's
// directories, never the gateway's own PATH.
const ChildPath = "/usr/local/bin:/usr/bin:/bin"

// ChildEnv is the whole environment of a program an engine runs. The
// gateway's own environment holds its secrets (GATEWAY_ADMIN_TOKEN, the
// Redis URL with its password, S3 and AWS keys), and the programs parse
// untrusted input: a decoder or renderer exploit must find none of them, so
// nothing is inherited. The programs get PATH and LANG=C.UTF-8, then vars,
// NAME=value entries that replace or add to those: HOME and TMPDIR in a
// directory of the program's own where it writes files (the XDG
// directories default to places in HOME), whatever else it needs.
func ChildEnv(vars ...string) []string {
	env := []string{"PATH=" + ChildPath, "LANG=C.UTF-8"}
	for _, v := range vars {
		name, _, _ := strings.Cut(v, "=")
		i := slices.IndexFunc(env, func(old string) bool { return strings.HasPrefix(old, name+"=") })
		if i >= 0 {
			env[i] = v
		} else {
			env = append(env, v)
		}
	}
	return env
}
