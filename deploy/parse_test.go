package deploy

import (
	"slices"
	"strings"
	"testing"
)

func TestInterpolate(t *testing.T) {
	env := map[string]string{"SET": "v", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, tc := range []struct {
		in, want, err string
		refs          []string
	}{
		{in: "plain", want: "plain"},
		{in: "$$SET and $$", want: "$SET and $"},
		{in: "$SET-${SET}", want: "v-v", refs: []string{"SET", "SET"}},
		{in: "${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", want: "d d  d", refs: []string{"UNSET", "EMPTY", "EMPTY", "UNSET"}},
		{in: "${SET:+alt}|${UNSET:+alt}|${EMPTY+alt}", want: "alt||alt", refs: []string{"SET", "UNSET", "EMPTY"}},
		{in: "${UNSET:-${SET}}", want: "v", refs: []string{"UNSET", "SET"}},
		{in: "${SET:?needed}", want: "v", refs: []string{"SET"}},
		{in: "${EMPTY?needed}", want: "", refs: []string{"EMPTY"}},
		{in: "${EMPTY:?set EMPTY, please}", err: "set EMPTY, please"},
		{in: "${UNSET?needed}", err: "needed"},
		{in: "cost: 5$", err: "a $ at the end"},
		{in: "a $ b", err: "invalid reference"},
		{in: "${SET", err: "without its }"},
		{in: "${1X}", err: "not a variable name"},
		{in: "${SET#x}", err: "unknown operator"},
	} {
		got, refs, err := Interpolate(tc.in, lookup)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Interpolate(%q): err %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		var names []string
		for _, r := range refs {
			names = append(names, r.Name)
		}
		if err != nil || got != tc.want || !slices.Equal(names, tc.refs) {
			t.Errorf("Interpolate(%q) = %q, %v, %v; want %q, %v", tc.in, got, names, err, tc.want, tc.refs)
		}
	}
}

func TestParseDockerfile(t *testing.T) {
	df, err := ParseDockerfile(strings.NewReader(`# syntax=docker/dockerfile:1
# a comment
ARG GO=1.26
FROM golang:${GO} AS Build
RUN --mount=type=cache,target=/x \
    # a comment inside the command
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      a b=1.2 && rm -rf /var/lib/apt/lists/*
FROM build AS next
ENV A=1 B="two words" C='it''s' D=x\ y
env OLD form value
USER 1:2
HEALTHCHECK --interval=5s CMD ["x", "y"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Args) != 1 || len(df.Stages) != 2 {
		t.Fatalf("args %v, stages %d", df.Args, len(df.Stages))
	}
	build, next := df.Stage("build"), df.Final()
	if build == nil || next.Parent != build || next.Base() != "golang:${GO}" || df.Target("") != next {
		t.Fatalf("stages: %+v %+v", build, next)
	}
	run := build.Instructions[0]
	if run.Line != 5 || !slices.Equal(run.Flags, []string{"--mount=type=cache,target=/x"}) || strings.Contains(run.Args, "comment") {
		t.Errorf("RUN: %+v", run)
	}
	if got := next.Packages(); len(got) != 2 || !got["a"] || !got["b=1.2"] {
		t.Errorf("packages %v", got)
	}
	env, err := next.Env()
	want := map[string]string{"A": "1", "B": "two words", "C": "its", "D": "x y", "OLD": "form value"}
	if err != nil || len(env) != len(want) {
		t.Fatalf("env %v, %v", env, err)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if u, ok := next.Last("USER"); !ok || u.Args != "1:2" {
		t.Errorf("USER %+v", u)
	}
	if hc, _ := next.Last("HEALTHCHECK"); hc.Args != `CMD ["x", "y"]` || hc.Flags[0] != "--interval=5s" {
		t.Errorf("HEALTHCHECK %+v", hc)
	}

	for _, bad := range []string{
		"RUN x\n",                        // before FROM
		"FROM a\nRUN <<EOF\nx\nEOF\n",    // heredoc
		"# escape=`\nFROM a\n",           // escape directive
		"FROM a AS x\nFROM b AS x\n",     // two stages of one name
		"FROM a\nRUN x \\\n",             // ends inside a continued line
		"FROM a b c d\n",                 // not FROM image AS name
		"",                               // no FROM
		"FROM a\nENV A=\"unterminated\n", // parsed later by Env, see below
	} {
		df, err := ParseDockerfile(strings.NewReader(bad))
		if err == nil {
			if _, err = df.Final().Env(); err == nil {
				t.Errorf("%q: no error", bad)
			}
		}
	}
}

func TestAptInstalls(t *testing.T) {
	got := AptInstalls(`apt-get update; apt install -y x | tee log || apt-get -q install --no-install-recommends "y" z; apt-get remove w`)
	if len(got) != 2 || !slices.Equal(got[0].Packages, []string{"x"}) || !slices.Equal(got[1].Packages, []string{"y", "z"}) ||
		!slices.Equal(got[1].Options, []string{"-q", "--no-install-recommends"}) {
		t.Errorf("%+v", got)
	}
}

func TestDockerignoreMatching(t *testing.T) {
	di, err := ParseDockerignore(strings.NewReader("# c\n*\n!/cmd/\n!internal\n**/*_test.go\n**/**/testdata\ninternal/a?c\n!internal/abc/keep.go\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"go.mod": true, "cmd": false, "cmd/gateway/main.go": false, "cmd/gateway/main_test.go": true,
		"internal/x/testdata/f": true, "internal/testdata": true, "internal/x/y.go": false,
		"internal/abc/y.go": true, "internal/abc/keep.go": false, "internal/abcd/y.go": false,
		"docs/x.md": true,
	} {
		if got, _ := di.Ignored(name); got != want {
			t.Errorf("Ignored(%s) = %v, want %v", name, got, want)
		}
	}
	if _, err := ParseDockerignore(strings.NewReader("a[\n")); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

func TestParseComposeSyntaxes(t *testing.T) {
	c, err := ParseCompose(strings.NewReader(`
x-env: &env
  A: "1"
services:
  s:
    image: x
    command: run me
    environment:
      <<: *env
      B: 2
      C:
    depends_on: [t]
    volumes:
      - v:/data:ro,z
      - ./host:/h
      - /anon
      - {type: volume, source: w, target: /w, read_only: true}
    ports: ["127.0.0.1:80:8080/tcp", {target: 9000, published: 9001}]
  t:
    build: ./sub
    environment: ["D=4", "E"]
volumes: {v: , w: }
`))
	if err != nil {
		t.Fatal(err)
	}
	s, u := c.Services["s"], c.Services["t"]
	if !s.Command.IsString || *s.Environment["A"] != "1" || *s.Environment["B"] != "2" || s.Environment["C"] != nil {
		t.Errorf("s: %+v", s)
	}
	if s.DependsOn["t"].Condition != "service_started" {
		t.Errorf("depends_on %+v", s.DependsOn)
	}
	wantMounts := []Mount{
		{Type: "volume", Source: "v", Target: "/data", ReadOnly: true},
		{Type: "bind", Source: "./host", Target: "/h"},
		{Type: "volume", Target: "/anon"},
		{Type: "volume", Source: "w", Target: "/w", ReadOnly: true},
	}
	for i, m := range s.Volumes {
		m.Line = 0
		if m != wantMounts[i] {
			t.Errorf("volume %d: %+v, want %+v", i, m, wantMounts[i])
		}
	}
	if s.Ports[0] != (Port{Published: "80", Target: "8080"}) || s.Ports[1] != (Port{Published: "9001", Target: "9000"}) {
		t.Errorf("ports %+v", s.Ports)
	}
	if u.Build.Context != "./sub" || *u.Environment["D"] != "4" || u.Environment["E"] != nil {
		t.Errorf("t: %+v", u)
	}
	for _, bad := range []string{
		"services: {s: {image: x, healthchek: {}}}",
		"services: {s: {image: x, healthcheck: {tset: [CMD]}}}",
		"services: {s: {image: x, depends_on: {t: {conditon: service_started}}}}",
		"services: {s: {image: x, volumes: [{type: volume, sorce: v, target: /x}]}}",
		"servics: {}",
		"services: {s: {image: x, image: y}}",
	} {
		if _, err := ParseCompose(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
