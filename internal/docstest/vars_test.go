package docstest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// testVars are the GATEWAY_ variables the tests read, not the gateway;
// the README's section on running the tests names them.
var testVars = []string{testutil.RequireToolsVar, redistest.URLVar}

// varRE finds variables (GATEWAY_JOBS_WORKERS) and families of them
// (GATEWAY_JOBS_*, GATEWAY_ACME*, GATEWAY_ENGINES_<NAME>_*).
var varRE = regexp.MustCompile(`GATEWAY_[A-Z0-9_]*[*<]|GATEWAY_[A-Z0-9_]*[A-Z0-9]`)

// Every GATEWAY_ variable a page names is one the gateway reads, and every
// GATEWAY_X_* family names at least one: a page must not tell a reader to
// set what nothing reads. (config's TestEveryVariableIsDocumented checks
// the other direction, on the same config.Names.)
func TestPagesNameOnlyVariablesTheGatewayReads(t *testing.T) {
	root := repoRoot(t)
	vars := config.Names()
	if len(vars) < 20 {
		t.Fatalf("config.Names lists only %d variables", len(vars))
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	named := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		for _, name := range slices.Compact(sortedMatches(varRE, string(src))) {
			named++
			if family := strings.TrimRight(name, "*<"); family != name {
				if !slices.ContainsFunc(vars, func(v string) bool { return strings.HasPrefix(v, family) }) {
					t.Errorf("%s names %s, but no variable starts with %s", rel, name, family)
				}
				continue
			}
			if slices.Contains(testVars, name) {
				continue
			}
			if !slices.Contains(vars, name) {
				t.Errorf("%s names %s, which the gateway does not read", rel, name)
			}
		}
	}
	if named < len(vars) {
		t.Errorf("the pages name %d variables, fewer than the gateway reads (%d)", named, len(vars))
	}
}

func sortedMatches(re *regexp.Regexp, s string) []string {
	m := re.FindAllString(s, -1)
	slices.Sort(m)
	return m
}
