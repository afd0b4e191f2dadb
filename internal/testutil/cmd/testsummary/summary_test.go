package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The recordings in testdata are real `go test -json` streams of the
// packages in testdata/fixture, one file per package, and all.jsonl of the
// whole module at once (packages interleaved). Record them again, after
// changing the fixture or on a new Go release, with
//
//	go test ./internal/testutil/cmd/testsummary -record
var record = flag.Bool("record", false, "run go test -json in testdata/fixture and rewrite the recordings")

func recording(t *testing.T, name string) []byte {
	t.Helper()
	path := filepath.Join("testdata", name+".jsonl")
	if *record {
		pkgs := "./" + name
		if name == "all" {
			pkgs = "./..."
		}
		cmd := exec.Command("go", "test", "-count=1", "-json", "-timeout=3s", pkgs)
		cmd.Dir = filepath.Join("testdata", "fixture")
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.Output() // fails with the fixture's failures: expected
		if len(out) == 0 {
			t.Fatalf("record %s: no output: %v", name, err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func summarize(t *testing.T, in []byte) (string, Counts, bool) {
	t.Helper()
	var out bytes.Buffer
	s := NewSummary(&out)
	if err := s.Read(bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	c, ok := s.Finish()
	return out.String(), c, ok
}

func TestRecordings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts Counts
		ok     bool
		want   []string // lines of the output, in this order
		absent []string // text the output must not have
	}{{
		name: "pass", counts: Counts{Passed: 2}, ok: true,
		want:   []string{"ok  \texample.com/fix/pass\t", "2 passed, 0 failed, 0 skipped"},
		absent: []string{"=== RUN", "--- PASS", "quiet log", "PASS\n", "skipped:", "failed:"},
	}, {
		name: "fail", counts: Counts{Passed: 1, Failed: 1},
		want: []string{
			"    fail_test.go:7: first line of the failure",
			"    fail_test.go:8: got 1, want 2",
			"        second line",
			"--- FAIL: TestBad (",
			"FAIL\texample.com/fix/fail\t",
			"failed:",
			"FAIL example.com/fix/fail TestBad",
			"1 passed, 1 failed, 0 skipped",
		},
		absent: []string{"this line must not show", "TestGood", "=== RUN"},
	}, {
		name: "skip", counts: Counts{Passed: 1, Skipped: 2}, ok: true,
		want: []string{
			"ok  \texample.com/fix/skip\t",
			"skipped:",
			"SKIP example.com/fix/skip TestSkipped: skip_test.go:5: ffmpeg is missing; install it with `apt-get install ffmpeg`",
			// The reason is the t.Skip message, not the t.Log before it.
			"SKIP example.com/fix/skip TestSkippedAfterLog: skip_test.go:8: two lines",
			"1 passed, 0 failed, 2 skipped",
		},
		absent: []string{"looked for the tool", "failed:"},
	}, {
		// Each subtest counts, and a failed subtest's parent fails too;
		// passing subtests of a failed parent stay quiet, as in go test.
		name: "sub", counts: Counts{Passed: 4, Failed: 2, Skipped: 1},
		want: []string{
			"    sub_test.go:10: b is wrong",
			"--- FAIL: TestTable/b (",
			"--- FAIL: TestTable (",
			"FAIL\texample.com/fix/sub\t",
			"SKIP example.com/fix/sub TestTable/c: sub_test.go:12: c needs root",
			"FAIL example.com/fix/sub TestTable",
			"FAIL example.com/fix/sub TestTable/b",
			"4 passed, 2 failed, 1 skipped",
		},
		absent: []string{"parallel x", "TestTable/a", "=== PAUSE", "=== CONT"},
	}, {
		name: "build", counts: Counts{Failed: 1},
		want: []string{
			"# example.com/fix/build [example.com/fix/build.test]",
			"build/build_test.go:5:41: declared and not used: x",
			"FAIL\texample.com/fix/build [build failed]",
			"FAIL example.com/fix/build (build failed)",
			"0 passed, 1 failed, 0 skipped",
		},
	}, {
		name: "panic", counts: Counts{Passed: 1, Failed: 1},
		want: []string{
			"    panic_test.go:7: about to panic",
			"--- FAIL: TestPanics (",
			"panic: assignment to entry in nil map",
			"FAIL\texample.com/fix/panic\t",
			"FAIL example.com/fix/panic TestPanics",
			"1 passed, 1 failed, 0 skipped",
		},
	}, {
		// A panic on another goroutine kills the test binary: test2json
		// never reports a result for the test that was running.
		name: "goroutinepanic", counts: Counts{Failed: 1},
		want: []string{
			"panic: boom in a goroutine",
			"FAIL\texample.com/fix/goroutinepanic\t",
			"FAIL example.com/fix/goroutinepanic TestSpawns (did not finish: its test binary died)",
			"0 passed, 1 failed, 0 skipped",
		},
	}, {
		name: "timeout", counts: Counts{Passed: 1, Failed: 1},
		want: []string{
			"    timeout_test.go:10: waiting forever",
			"panic: test timed out after 3s",
			"FAIL\texample.com/fix/timeout\t",
			"FAIL example.com/fix/timeout TestHangs (did not finish: its test binary died)",
			"1 passed, 1 failed, 0 skipped",
		},
	}, {
		// Every test passed, and TestMain failed the package after them.
		name: "exitpkg", counts: Counts{Passed: 1, Failed: 1},
		want: []string{
			"redistest: 2 keys left under test:abc: (by a test of this package)",
			"FAIL\texample.com/fix/exitpkg\t",
			"FAIL example.com/fix/exitpkg (failed outside any test)",
			"1 passed, 1 failed, 0 skipped",
		},
	}, {
		name: "notests", counts: Counts{}, ok: true,
		want: []string{"?   \texample.com/fix/notests\t[no test files]", "0 passed, 0 failed, 0 skipped"},
	}, {
		name: "all", counts: Counts{Passed: 11, Failed: 8, Skipped: 3},
		want: []string{
			"build/build_test.go:5:41: declared and not used: x",
			"skipped:",
			"SKIP example.com/fix/skip TestSkipped: ",
			"SKIP example.com/fix/sub TestTable/c: sub_test.go:12: c needs root",
			"failed:",
			"FAIL example.com/fix/build (build failed)",
			"FAIL example.com/fix/timeout TestHangs (did not finish: its test binary died)",
			"11 passed, 8 failed, 3 skipped",
		},
		absent: []string{"this line must not show", "quiet log", "looked for the tool"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, counts, ok := summarize(t, recording(t, tc.name))
			if counts != tc.counts || ok != tc.ok {
				t.Errorf("counts %v, ok %v; want %v, ok %v", counts, ok, tc.counts, tc.ok)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if last := lines[len(lines)-1]; last != tc.counts.String() {
				t.Errorf("last line %q, want %q", last, tc.counts.String())
			}
			i := 0
			for _, want := range tc.want {
				for i < len(lines) && !strings.HasPrefix(lines[i], want) {
					i++
				}
				if i == len(lines) {
					t.Errorf("no line starting %q (in this order):\n%s", want, out)
					break
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
}

// Packages are printed whole, each when it ends, even when go test
// interleaves their events.
func TestPackagesAreNotInterleaved(t *testing.T) {
	out, _, _ := summarize(t, recording(t, "all"))
	fail := strings.Index(out, "--- FAIL: TestBad")
	end := strings.Index(out, "FAIL\texample.com/fix/fail\t")
	if fail < 0 || end < fail {
		t.Fatalf("no fail block:\n%s", out)
	}
	if block := out[fail:end]; strings.Contains(block, "example.com/fix/") {
		t.Errorf("another package's lines inside fail's block:\n%s", block)
	}
}

// go test's own complaints on stdout are not JSON: they pass through, and
// a stream with no results at all is a failure, not a green "0 failed".
func TestNoResultsIsAFailure(t *testing.T) {
	out, counts, ok := summarize(t, []byte("go: warning: \"./nothing/...\" matched no packages\nno packages to test"))
	if ok || counts != (Counts{}) {
		t.Errorf("counts %v, ok %v", counts, ok)
	}
	for _, want := range []string{"go: warning: \"./nothing/...\" matched no packages\n", "no packages to test\n", "no test results", "0 passed, 0 failed, 0 skipped\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// A stream cut short (go test killed) fails the packages it left open.
func TestCutStreamFails(t *testing.T) {
	in := recording(t, "pass")
	cut := in[:bytes.Index(in, []byte(`"Action":"pass","Package":"example.com/fix/pass","Test":"TestTwo"`))]
	cut = cut[:bytes.LastIndexByte(cut[:len(cut)-1], '\n')+1]
	out, counts, ok := summarize(t, cut)
	if ok || counts != (Counts{Passed: 1, Failed: 1}) {
		t.Errorf("counts %v, ok %v:\n%s", counts, ok, out)
	}
	if !strings.Contains(out, "FAIL example.com/fix/pass TestTwo (did not finish: its test binary died)") {
		t.Errorf("TestTwo is not reported:\n%s", out)
	}
}

// A skip with no message still names the test.
func TestSkipWithoutReason(t *testing.T) {
	in := `{"Action":"run","Package":"p","Test":"TestS"}
{"Action":"output","Package":"p","Test":"TestS","Output":"=== RUN   TestS\n"}
{"Action":"output","Package":"p","Test":"TestS","Output":"--- SKIP: TestS (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestS","Elapsed":0}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p","Elapsed":0.01}
`
	out, counts, ok := summarize(t, []byte(in))
	if !ok || counts != (Counts{Skipped: 1}) || !strings.Contains(out, "SKIP p TestS: (no reason given)\n") {
		t.Errorf("counts %v, ok %v:\n%s", counts, ok, out)
	}
}
