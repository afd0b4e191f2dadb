// Package docstest keeps the shell examples of README.md and docs/*.md
// true, the way Go's Example tests keep package documentation true: its
// test extracts every ```sh block, in order, and runs each file's blocks in
// one bash against a gateway of its own (docs_test.go). This file reads the
// blocks out of Markdown; shell.go runs them.
//
// What a page may say about a block, in HTML comments on the lines right
// above its fence (invisible on GitHub, read here):
//
//	<!-- no-run: why this block cannot run in a test -->
//	<!-- needs: soffice internal/upload/interop/node_modules -->
//
// no-run blocks are counted and listed, never run, and must give a reason.
// needs names the programs (looked up on PATH) and repository paths
// (anything with a slash) a block cannot run without; when one is missing
// the block is skipped, or fails under make test and CI=true
// (testutil.MissingTool). A ```text block that follows a shell block, with
// only blank lines between, is the output the block must print (see
// Match).
package docstest

import (
	"fmt"
	"regexp"
	"strings"
)

// Block is one shell example of a page.
type Block struct {
	File string // the page, as given to Parse
	Line int    // line of the opening fence, from 1
	Code string // the block's text, ending in a newline

	NoRun string   // why the block cannot run in a test; "" for a block that runs
	Needs []string // programs and repository paths the block needs

	// Expect is the output the block must print, from the ```text block
	// after it; ExpectLine is that block's fence line. HasExpect tells an
	// expected empty output from none.
	Expect     string
	ExpectLine int
	HasExpect  bool
}

// Name identifies the block in test names and messages: README.md:61.
func (b Block) Name() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

// shellLangs are the info strings of blocks that are shell examples.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true}

var directiveRE = regexp.MustCompile(`^<!--\s*([A-Za-z_-]+):\s*(.*?)\s*-->\s*$`)

// Parse returns the shell blocks of a Markdown page in the order they
// appear. It refuses what would make a block run other than as written:
// an unclosed fence, an unknown directive or a directive on a block that is
// no shell example, a no-run without a reason, and expected output after a
// no-run block.
func Parse(file string, src string) ([]Block, error) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var (
		blocks     []Block
		directives []string // comment lines directly above the current line
		dirLine    int      // line of the first of them
		lastShell  = -1     // index in blocks of a shell block that output may follow
	)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		fence, info, ok := openingFence(line)
		if !ok {
			switch {
			case directiveRE.MatchString(strings.TrimSpace(line)):
				if len(directives) == 0 {
					dirLine = i + 1
				}
				directives = append(directives, strings.TrimSpace(line))
			case strings.TrimSpace(line) == "":
				if len(directives) > 0 {
					return nil, fmt.Errorf("%s:%d: a directive must stand on the line right above its block's fence", file, dirLine)
				}
			default:
				directives, lastShell = nil, -1
			}
			continue
		}
		start := i + 1
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			if isClosingFence(lines[i], fence) {
				closed = true
				break
			}
			body = append(body, lines[i])
		}
		if !closed {
			return nil, fmt.Errorf("%s:%d: the block opened here is never closed", file, start)
		}
		code := strings.Join(body, "\n") + "\n"
		lang, _, _ := strings.Cut(info, " ")
		switch {
		case shellLangs[lang]:
			b := Block{File: file, Line: start, Code: code}
			if err := b.apply(directives); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", file, dirLine, err)
			}
			blocks = append(blocks, b)
			lastShell = len(blocks) - 1
		case lang == "text" && lastShell >= 0:
			if len(directives) > 0 {
				return nil, fmt.Errorf("%s:%d: directives belong above a shell block, not its output", file, dirLine)
			}
			b := &blocks[lastShell]
			if b.NoRun != "" {
				return nil, fmt.Errorf("%s:%d: output after a no-run block would never be checked", file, start)
			}
			b.Expect, b.ExpectLine, b.HasExpect = code, start, true
			lastShell = -1
		default:
			if len(directives) > 0 {
				return nil, fmt.Errorf("%s:%d: directives apply to shell blocks only, not to a %q block", file, dirLine, lang)
			}
			lastShell = -1
		}
		directives = nil
	}
	if len(directives) > 0 {
		return nil, fmt.Errorf("%s:%d: a directive with no block under it", file, dirLine)
	}
	return blocks, nil
}

// apply reads a block's directives.
func (b *Block) apply(directives []string) error {
	for _, d := range directives {
		m := directiveRE.FindStringSubmatch(d)
		name, value := m[1], m[2]
		switch name {
		case "no-run":
			if value == "" {
				return fmt.Errorf("no-run needs a reason: <!-- no-run: why -->")
			}
			b.NoRun = value
		case "needs":
			if value == "" {
				return fmt.Errorf("needs names nothing")
			}
			b.Needs = append(b.Needs, strings.Fields(value)...)
		default:
			return fmt.Errorf("unknown directive %q (known: no-run, needs)", name)
		}
	}
	return nil
}

// openingFence reports whether line opens a fenced block, with its fence
// (the run of backticks) and its info string. Fences start at the margin:
// the pages indent none, and an indented one inside a list would be read
// differently by different renderers.
func openingFence(line string) (fence, info string, ok bool) {
	n := len(line) - len(strings.TrimLeft(line, "`"))
	if n < 3 {
		return "", "", false
	}
	info = strings.TrimSpace(line[n:])
	if strings.Contains(info, "`") {
		return "", "", false
	}
	return line[:n], info, true
}

func isClosingFence(line, fence string) bool {
	t := strings.TrimRight(line, " \t")
	return strings.HasPrefix(t, fence) && strings.Trim(t, "`") == ""
}

// Match checks output against the expected text of a block. Lines are
// compared without trailing blanks, and trailing empty lines do not count.
// In the expected text, "..." inside a line stands for any characters, and
// a line that is only "..." for any number of lines, none included.
func Match(expected, output string) error {
	want, got := splitLines(expected), splitLines(output)
	if matchLines(want, got) {
		return nil
	}
	return fmt.Errorf("the output does not match\n--- expected\n%s\n--- printed\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
}

func splitLines(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// matchLines matches line patterns against lines, backtracking over "..."
// lines; the pages' outputs are a few lines long.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for skip := 0; skip <= len(got); skip++ {
			if matchLines(want[1:], got[skip:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(want[0], got[0]) && matchLines(want[1:], got[1:])
}

func matchLine(pattern, line string) bool {
	parts := strings.Split(pattern, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^` + strings.Join(parts, `.*`) + `$`).MatchString(line)
}
