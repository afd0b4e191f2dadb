package docstest

import (
	"strings"
	"testing"
)

const samplePage = "# A page\n" +
	"\n" +
	"```sh\n" +
	"echo one\n" +
	"```\n" +
	"\n" +
	"```text\n" +
	"one\n" +
	"```\n" +
	"\n" +
	"<!-- no-run: starts a server that never ends -->\n" +
	"```sh\n" +
	"gateway\n" +
	"```\n" +
	"\n" +
	"```json\n" +
	"{}\n" +
	"```\n" +
	"\n" +
	"```text\n" +
	"not the output of anything\n" +
	"```\n" +
	"\n" +
	"<!-- needs: soffice internal/x/node_modules -->\n" +
	"````bash\n" +
	"cat <<'MD'\n" +
	"```sh\n" +
	"MD\n" +
	"````\n" +
	"Some prose.\n" +
	"\n" +
	"```text\n" +
	"prose came between: not the output\n" +
	"```\n"

func TestParseFindsShellBlocksAndTheirDirectives(t *testing.T) {
	blocks, err := Parse("page.md", samplePage)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("got %d blocks, want 3: %+v", len(blocks), blocks)
	}
	one, server, nested := blocks[0], blocks[1], blocks[2]
	if one.Line != 3 || one.Code != "echo one\n" || !one.HasExpect || one.Expect != "one\n" || one.ExpectLine != 7 {
		t.Errorf("first block: %+v", one)
	}
	if server.NoRun != "starts a server that never ends" || server.HasExpect {
		t.Errorf("no-run block: %+v", server)
	}
	if strings.Join(nested.Needs, ",") != "soffice,internal/x/node_modules" {
		t.Errorf("needs: %q", nested.Needs)
	}
	if nested.Code != "cat <<'MD'\n```sh\nMD\n" {
		t.Errorf("a longer fence holds shorter ones: %q", nested.Code)
	}
	if nested.HasExpect {
		t.Errorf("output after prose was taken for the block's: %+v", nested)
	}
	if one.Name() != "page.md:3" {
		t.Errorf("Name() = %q", one.Name())
	}
}

func TestParseRefusesWhatWouldNotRunAsWritten(t *testing.T) {
	for name, src := range map[string]string{
		"unclosed":          "```sh\necho\n",
		"no reason":         "<!-- no-run: -->\n```sh\ngateway\n```\n",
		"unknown directive": "<!-- no_run: typo -->\n```sh\ngateway\n```\n",
		"detached":          "<!-- no-run: why -->\n\n```sh\ngateway\n```\n",
		"on json":           "<!-- needs: jq -->\n```json\n{}\n```\n",
		"on output":         "```sh\necho\n```\n<!-- needs: jq -->\n```text\n\n```\n",
		"dangling":          "```sh\necho\n```\n<!-- needs: jq -->\n",
		"output of no-run":  "<!-- no-run: why -->\n```sh\ngateway\n```\n```text\nx\n```\n",
		"empty needs":       "<!-- needs: -->\n```sh\necho\n```\n",
	} {
		if _, err := Parse("p.md", src); err == nil {
			t.Errorf("%s: Parse accepted %q", name, src)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"one\ntwo\n", "one\ntwo\n", true},
		{"one\ntwo\n", "one  \ntwo\n\n\n", true},
		{"one\n", "one\ntwo\n", false},
		{"one\ntwo\n", "one\n", false},
		{"one\n", "One\n", false},
		{"{\"id\": \"...\"}\n", "{\"id\": \"k_123\"}\n", true},
		{"a...c...e\n", "abcde\n", true},
		{"a...c\n", "abd\n", false},
		{"first\n...\nlast\n", "first\nx\ny\nlast\n", true},
		{"first\n...\nlast\n", "first\nlast\n", true},
		{"first\n...\nlast\n", "first\nx\n", false},
		{"...\n", "", true},
		{"a.c\n", "abc\n", false}, // a dot is a dot, not a regexp
		{"", "something\n", false},
	} {
		err := Match(c.want, c.got)
		if (err == nil) != c.ok {
			t.Errorf("Match(%q, %q) = %v, want ok=%v", c.want, c.got, err, c.ok)
		}
	}
}

// FuzzParse: any page either parses into blocks whose code lies within the
// page, or is refused; nothing panics.
func FuzzParse(f *testing.F) {
	f.Add(samplePage)
	f.Add("```sh\necho\n```\n```text\n...\n```\n")
	f.Add("<!-- no-run: x -->\n<!-- needs: a b -->\n```sh\n```\n")
	f.Fuzz(func(t *testing.T, src string) {
		blocks, err := Parse("f.md", src)
		if err != nil {
			return
		}
		lines := strings.Count(src, "\n") + 1
		for _, b := range blocks {
			if b.Line < 1 || b.Line > lines {
				t.Errorf("block at line %d of %d", b.Line, lines)
			}
			if !strings.HasSuffix(b.Code, "\n") {
				t.Errorf("code %q does not end in a newline", b.Code)
			}
			if b.HasExpect && b.NoRun != "" {
				t.Errorf("expected output on a no-run block")
			}
			_ = Match(b.Expect, b.Code)
		}
	})
}
