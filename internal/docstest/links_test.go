package docstest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// pathRE finds repository paths in code spans: `docs/jobs.md`,
	// `internal/app/apptest`, `.ci/run`.
	pathRE = regexp.MustCompile("`((?:\\.ci|bench|cmd|config|docs|internal)/[A-Za-z0-9_./-]*)`")
)

// Every relative link of README.md and docs/*.md leads to a file of the
// repository, and its #fragment to a heading of that file; every
// repository path a page names in a code span exists.
func TestPagesLinksResolve(t *testing.T) {
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	checked := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		prose := withoutFencedBlocks(string(src))
		for _, m := range linkRE.FindAllStringSubmatch(prose, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			if err := resolveLink(root, f, target); err != nil {
				t.Errorf("%s: link %s: %v", rel, target, err)
			}
		}
		for _, m := range pathRE.FindAllStringSubmatch(prose, -1) {
			checked++
			if _, err := os.Stat(filepath.Join(root, strings.TrimSuffix(m[1], "/"))); err != nil {
				t.Errorf("%s names %s, which does not exist", rel, m[1])
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked %d links and paths, want at least 30", checked)
	}
}

func resolveLink(root, from, target string) error {
	path, frag, _ := strings.Cut(target, "#")
	file := from
	if path != "" {
		file = filepath.Join(filepath.Dir(from), path)
		if !strings.HasPrefix(file, root) {
			return fmt.Errorf("leads outside the repository")
		}
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("no such file")
		}
	}
	if frag == "" {
		return nil
	}
	if !strings.HasSuffix(file, ".md") {
		return fmt.Errorf("a fragment of a file that has no headings")
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	for _, a := range anchors(string(src)) {
		if a == frag {
			return nil
		}
	}
	return fmt.Errorf("no heading of %s has the anchor #%s", filepath.Base(file), frag)
}

// anchors returns the anchors GitHub gives a page's headings: lower case,
// punctuation other than - and _ dropped, spaces made hyphens, and -1, -2
// added to repeats.
func anchors(src string) []string {
	seen := map[string]int{}
	var out []string
	for _, line := range strings.Split(withoutFencedBlocks(src), "\n") {
		text, ok := strings.CutPrefix(line, "#")
		if !ok {
			continue
		}
		text = strings.TrimLeft(text, "#")
		if !strings.HasPrefix(text, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", a, n))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}

// withoutFencedBlocks blanks the lines of fenced blocks, whose # lines are
// comments and whose ](...) are code.
func withoutFencedBlocks(src string) string {
	lines := strings.Split(src, "\n")
	fence := ""
	for i, l := range lines {
		switch {
		case fence == "":
			if f, _, ok := openingFence(l); ok {
				fence = f
				lines[i] = ""
			}
		default:
			if isClosingFence(l, fence) {
				fence = ""
			}
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

func TestAnchors(t *testing.T) {
	got := anchors("# Jobs, engines and output files\n## S3 imports and exports\n```sh\n# comment\n```\n### Players on other origins (CORS)\n## Tests\n## Tests\n")
	want := []string{"jobs-engines-and-output-files", "s3-imports-and-exports", "players-on-other-origins-cors", "tests", "tests-1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("anchors = %q, want %q", got, want)
	}
}
