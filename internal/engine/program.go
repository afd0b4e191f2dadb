package engine

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// versions remembers what each program said of its version: engines ask at
// construction, and one process may build many engines (tests build many
// gateways), each paying a program start otherwise.
var versions sync.Map // program path and arguments → version

// VersionWord matches the word after "version", as in "ffmpeg version 5.1.6"
// or "pdftoppm version 22.12.0".
var VersionWord = regexp.MustCompile(`version (\S+)`)

// ProgramVersion runs bin with args (default --version) once per process and
// returns what pattern finds in its output: the first subgroup when pattern
// has one, else the whole match; "unknown" when nothing matches.
func ProgramVersion(pattern *regexp.Regexp, bin string, args ...string) string {
	if len(args) == 0 {
		args = []string{"--version"}
	}
	key := bin + "\x00" + strings.Join(args, "\x00")
	if v, ok := versions.Load(key); ok {
		return v.(string)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = ChildEnv()
	// Some programs print their version on standard error (pdftoppm).
	out, err := cmd.CombinedOutput()
	m := pattern.FindStringSubmatch(string(out))
	if m == nil {
		return "unknown"
	}
	v := m[0]
	if len(m) > 1 {
		v = m[1]
	}
	if err == nil {
		versions.Store(key, v)
	}
	return v
}
