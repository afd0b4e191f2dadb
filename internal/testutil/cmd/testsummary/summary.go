package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json), with the build
// events `go test -json` adds (build-output, build-fail, keyed by
// ImportPath) and the FailedBuild of a package that could not be built.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	ImportPath  string
	FailedBuild string
}

// Counts are the results the final line reports. Every test and every
// subtest counts once, as go test reports each with its own --- line: a
// failing subtest fails its parent too, so both count as failed. A test
// that never reported a result because its test binary died (a panic in
// another goroutine, the -timeout alarm, os.Exit) counts as failed, and so
// does a package that failed with no failed test to show for it (a build
// failure, a failing TestMain or init): a broken build is never green.
type Counts struct {
	Passed, Failed, Skipped int
}

func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
}

// skipped is a skipped test and its reason, for the list above the final
// line.
type skipped struct{ pkg, test, reason string }

// failed names a failed test, or a package that failed as a whole (test
// empty), for the list above the final line.
type failed struct{ pkg, test, why string }

// pkgRun is what one test package has reported so far.
type pkgRun struct {
	lines   []line            // every output line, in order
	results map[string]string // test -> pass, fail or skip
	tests   []string          // tests that started, in order
}

type line struct{ test, text string }

// Summary reads a `go test -json` stream and writes what go test would have
// printed without -json, one package at a time as each ends: for a
// package that passed, its "ok" line; for one that failed, the whole
// output of its failed tests and its own lines (FAIL, panics, what
// TestMain printed); build errors as they come. Lines that are not JSON
// (go test's own complaints) are copied as they are.
type Summary struct {
	w        io.Writer
	pkgs     map[string]*pkgRun
	builds   map[string][]string // import path -> build output so far
	counts   Counts
	skips    []skipped
	failures []failed
	events   int
}

// NewSummary writes to w.
func NewSummary(w io.Writer) *Summary {
	return &Summary{w: w, pkgs: map[string]*pkgRun{}, builds: map[string][]string{}}
}

// Read consumes the whole stream.
func (s *Summary) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		raw, err := br.ReadBytes('\n')
		if len(raw) > 0 {
			s.line(raw)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *Summary) line(raw []byte) {
	var e event
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &e) != nil || e.Action == "" {
		s.w.Write(raw)
		if raw[len(raw)-1] != '\n' {
			io.WriteString(s.w, "\n")
		}
		return
	}
	s.events++
	switch e.Action {
	case "build-output":
		s.builds[e.ImportPath] = append(s.builds[e.ImportPath], e.Output)
		return
	case "build-fail":
		io.WriteString(s.w, strings.Join(s.builds[e.ImportPath], ""))
		delete(s.builds, e.ImportPath)
		return
	}
	if e.Package == "" {
		return
	}
	p := s.pkgs[e.Package]
	if p == nil {
		p = &pkgRun{results: map[string]string{}}
		s.pkgs[e.Package] = p
	}
	switch e.Action {
	case "run":
		p.start(e.Test)
	case "output":
		p.lines = append(p.lines, line{e.Test, e.Output})
	case "pass", "fail", "skip":
		if e.Test != "" {
			p.start(e.Test) // in case its run event was lost
			p.results[e.Test] = e.Action
			return
		}
		s.end(e, p)
		delete(s.pkgs, e.Package)
	}
}

func (p *pkgRun) start(test string) {
	if _, ok := p.results[test]; !ok {
		p.results[test] = ""
		p.tests = append(p.tests, test)
	}
}

// end prints and counts a package that has finished with action e.
func (s *Summary) end(e event, p *pkgRun) {
	pkgFailed := e.Action == "fail"
	anyTestFailed := false
	for _, t := range p.tests {
		switch p.results[t] {
		case "pass":
			s.counts.Passed++
		case "skip":
			s.counts.Skipped++
			s.skips = append(s.skips, skipped{e.Package, t, skipReason(p.lines, t)})
		case "fail":
			s.counts.Failed++
			anyTestFailed = true
			s.failures = append(s.failures, failed{e.Package, t, ""})
		default:
			// Started and never ended: its test binary died under it.
			s.counts.Failed++
			anyTestFailed = true
			p.results[t] = "fail"
			pkgFailed = true
			s.failures = append(s.failures, failed{e.Package, t, "(did not finish: its test binary died)"})
		}
	}
	if pkgFailed && !anyTestFailed {
		s.counts.Failed++
		why := "(failed outside any test)"
		if e.FailedBuild != "" {
			why = "(build failed)"
		}
		s.failures = append(s.failures, failed{e.Package, "", why})
	}

	if !pkgFailed {
		// One line: "ok pkg 1.2s", or "? pkg [no test files]".
		for _, l := range p.lines {
			if l.test == "" && (strings.HasPrefix(l.text, "ok ") || strings.HasPrefix(l.text, "?")) {
				io.WriteString(s.w, l.text)
				return
			}
		}
		if e.Action == "pass" {
			fmt.Fprintf(s.w, "ok  \t%s\n", e.Package)
		}
		return
	}
	for _, l := range p.lines {
		if l.test != "" && p.results[l.test] != "fail" || isFraming(l.text) {
			continue
		}
		io.WriteString(s.w, l.text)
	}
}

// isFraming reports the lines go test -v adds around tests and go test
// without it does not print.
func isFraming(text string) bool {
	for _, p := range []string{"=== RUN ", "=== PAUSE ", "=== CONT ", "=== NAME "} {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	return false
}

// logStart matches the first line of a t.Log, t.Skip or t.Error entry:
// indentation, then file:line.
var logStart = regexp.MustCompile(`^\s+[^\s:]+\.go:\d+: `)

// skipReason is the last entry a skipped test logged, which is its t.Skip
// message, with its continuation lines joined by spaces.
func skipReason(lines []line, test string) string {
	var entry []string
	for _, l := range lines {
		if l.test != test || isFraming(l.text) || strings.HasPrefix(strings.TrimSpace(l.text), "--- SKIP: ") {
			continue
		}
		text := strings.TrimSpace(l.text)
		if logStart.MatchString(l.text) {
			entry = []string{text}
		} else if len(entry) > 0 && text != "" {
			entry = append(entry, text)
		}
	}
	if len(entry) == 0 {
		return "(no reason given)"
	}
	return strings.Join(entry, " ")
}

// Finish prints what is left of packages that never ended (go test was
// killed), the skipped tests with their reasons and the failures, then
// the final line, and returns the counts. ok is false when anything
// failed or the stream held no test results at all.
func (s *Summary) Finish() (c Counts, ok bool) {
	// The stream stopped before these packages ended (go test was
	// killed): whatever ran in them counts, and each package fails.
	for _, name := range slices.Sorted(maps.Keys(s.pkgs)) {
		s.end(event{Action: "fail", Package: name}, s.pkgs[name])
	}
	for _, path := range slices.Sorted(maps.Keys(s.builds)) {
		io.WriteString(s.w, strings.Join(s.builds[path], ""))
		s.counts.Failed++
		s.failures = append(s.failures, failed{path, "", "(build failed)"})
	}
	if len(s.skips) > 0 {
		fmt.Fprintf(s.w, "\nskipped:\n")
		for _, k := range s.skips {
			fmt.Fprintf(s.w, "SKIP %s %s: %s\n", k.pkg, k.test, k.reason)
		}
	}
	if len(s.failures) > 0 {
		fmt.Fprintf(s.w, "\nfailed:\n")
		for _, f := range s.failures {
			fmt.Fprintf(s.w, "FAIL %s\n", strings.Join(slices.DeleteFunc([]string{f.pkg, f.test, f.why}, func(s string) bool { return s == "" }), " "))
		}
	}
	if s.events == 0 {
		fmt.Fprintf(s.w, "\nno test results: the input held no go test -json events\n")
	}
	fmt.Fprintln(s.w, s.counts)
	return s.counts, s.counts.Failed == 0 && s.events > 0
}
