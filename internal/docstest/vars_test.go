package docstest

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/signedgate/gateway/config"
)

// configVars lists every variable config.Config reads, with prefix (the
// same walk as config's own TestEveryVariableIsDocumented, which checks
// the other direction).
func configVars(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if p, ok := f.Tag.Lookup("envPrefix"); ok {
			out = append(out, configVars(f.Type, prefix+p)...)
			continue
		}
		if name, ok := f.Tag.Lookup("env"); ok {
			out = append(out, prefix+strings.Split(name, ",")[0])
		}
	}
	return out
}

// varRE finds variables (GATEWAY_JOBS_WORKERS) and families of them
// (GATEWAY_JOBS_*, GATEWAY_ACME*, GATEWAY_ENGINES_<NAME>_*).
var varRE = regexp.MustCompile(`GATEWAY_[A-Z0-9_]*[*<]|GATEWAY_[A-Z0-9_]*[A-Z0-9]`)

// Every GATEWAY_ variable a page names is one the gateway reads, and every
// GATEWAY_X_* family names at least one: a page must not tell a reader to
// set what nothing reads.
func TestPagesNameOnlyVariablesTheGatewayReads(t *testing.T) {
	root := repoRoot(t)
	vars := configVars(reflect.TypeFor[config.Config](), config.Prefix)
	if len(vars) < 20 {
		t.Fatalf("found only %d variables in config.Config", len(vars))
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
