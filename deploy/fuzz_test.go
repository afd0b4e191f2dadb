package deploy

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func seedFile(f *testing.F, name string) {
	f.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
}

func FuzzParseDockerfile(f *testing.F) {
	seedFile(f, dockerfilePath)
	f.Add("FROM a AS b\nFROM b\nRUN apt-get install -y x \\\n  # c\n  y\nENV A=1 B=\"2 3\" C='4'\n")
	f.Add("ARG X\nFROM scratch\nENV A B C\nHEALTHCHECK CMD [\"a\"]\n")
	f.Fuzz(func(t *testing.T, s string) {
		df, err := ParseDockerfile(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, st := range df.Stages {
			if len(st.Chain()) > len(df.Stages) {
				t.Fatalf("stage %q: a chain longer than the stages", st.Name)
			}
			st.Packages()
			st.Env()
			for _, in := range st.Instructions {
				ParseExec(in.Args)
			}
		}
	})
}

func FuzzInterpolate(f *testing.F) {
	f.Add("${A:-x}", "a$b")
	f.Add("$$ ${B:?set B} ${C-${D}} $E", "${x}")
	f.Fuzz(func(t *testing.T, template, literal string) {
		lookup := func(name string) (string, bool) { return strings.ToLower(name), len(name)%2 == 0 }
		Interpolate(template, lookup)
		// A literal written with $$ for each $ comes out as it was, with
		// no reference.
		got, refs, err := Interpolate(strings.ReplaceAll(literal, "$", "$$"), lookup)
		if err != nil || got != literal || len(refs) != 0 {
			t.Fatalf("escaped %q: got %q, %v, %v", literal, got, refs, err)
		}
	})
}

func FuzzDockerignore(f *testing.F) {
	b, err := os.ReadFile(dockerignorePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b), "internal/app/app_test.go")
	f.Add("*\n!cmd/\n**/x_test.go\n", "cmd/a/x_test.go")
	f.Fuzz(func(t *testing.T, patterns, name string) {
		di, err := ParseDockerignore(strings.NewReader(patterns))
		if err != nil {
			return
		}
		if len(patterns) > 512 || len(name) > 256 {
			return // ** against long paths is slow by nature, not a bug
		}
		di.Ignored(name)
	})
}

func FuzzParseCompose(f *testing.F) {
	b, err := os.ReadFile(composePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("services:\n  a:\n    image: x\n    volumes: [\"v:/d:ro\", {type: bind, source: ., target: /x}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCompose(bytes.NewReader(b))
		if err != nil {
			return
		}
		c.Scalars(func(string, int) {})
	})
}
