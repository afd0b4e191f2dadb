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
var versions sync.Map // program path → version

// ProgramVersion runs `bin --version` once per process and returns the first
// match of pattern in its output (the trimmed output when nothing matches,
// "unknown" when the program does not answer).
func ProgramVersion(bin string, pattern *regexp.Regexp) string {
	if v, ok := versions.Load(bin); ok {
		return v.(string)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v := "unknown"
	if out, err := exec.CommandContext(ctx, bin, "--version").Output(); err == nil {
		v = strings.TrimSpace(string(out))
		if m := pattern.FindString(v); m != "" {
			v = m
		}
		versions.Store(bin, v)
	}
	return v
}
