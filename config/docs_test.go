package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// envNames lists every variable t reads, with prefix.
func envNames(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if p, ok := f.Tag.Lookup("envPrefix"); ok {
			out = append(out, envNames(f.Type, prefix+p)...)
			continue
		}
		if name, ok := f.Tag.Lookup("env"); ok {
			out = append(out, prefix+strings.Split(name, ",")[0])
		}
	}
	return out
}

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
	names := envNames(reflect.TypeFor[Config](), Prefix)
	if len(names) < 20 {
		t.Fatalf("found only %d variables: %v", len(names), names)
	}
	for _, name := range names {
		if !strings.Contains(docs.String(), "`"+name+"`") {
			t.Errorf("%s is not documented in README.md or docs/", name)
		}
	}
}
