package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every variable the gateway reads is documented in the README or docs/.
func TestEveryVariableIsDocumented(t *testing.T) {
	var docs strings.Builder
	files, _ := filepath.Glob("../docs/*.md")
	for _, f := range append(files, "../README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
	}
	names := Names()
	if len(names) < 20 {
		t.Fatalf("found only %d variables: %v", len(names), names)
	}
	for _, name := range names {
		if !strings.Contains(docs.String(), "`"+name+"`") {
			t.Errorf("%s is not documented in README.md or docs/", name)
		}
	}
}
