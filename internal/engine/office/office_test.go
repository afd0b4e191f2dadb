package office

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

// Each case converts generated input through one or more steps and checks
// the final PDF's text and page count.
func TestConvertToPDF(t *testing.T) {
	e := sharedEngine(t)
	tests := []struct {
		name      string
		file      string
		content   string
		steps     []string       // output formats, in order; the last is pdf
		opts      engine.Options // for the last step
		firstOpts engine.Options // for the first step
		wantText  []string
		wantPages int
	}{
		{name: "txt", file: "note.txt", content: "Hello from plain text\nsecond line ünïcødé\n",
			steps: []string{"pdf"}, wantText: []string{"Hello from plain text", "ünïcødé"}, wantPages: 1},
		{name: "html via docx", file: "page.html", content: "<h1>Quarterly report</h1><p>Revenue grew by 12 percent.</p>",
			steps: []string{"docx", "pdf"}, wantText: []string{"Quarterly report", "Revenue grew by 12 percent."}, wantPages: 1},
		{name: "html via odt and rtf", file: "memo.html", content: "<p>Memo body text</p>",
			steps: []string{"odt", "rtf", "pdf"}, wantText: []string{"Memo body text"}, wantPages: 1},
		{name: "txt via doc", file: "legacy.txt", content: "Old binary Word format\n",
			steps: []string{"doc", "docx", "pdf"}, wantText: []string{"Old binary Word format"}, wantPages: 1},
		{name: "long txt, pages 2-3", file: "long.txt", content: longText(200),
			steps: []string{"pdf"}, opts: engine.Options{"pages": "2-3"}, wantText: []string{"Line 100 of the long text"}, wantPages: 2},
		{name: "long docx, one page", file: "long2.txt", content: longText(200),
			steps: []string{"docx", "pdf"}, opts: engine.Options{"pages": "1"}, wantText: []string{"Line 1 of the long text"}, wantPages: 1},
		{name: "csv via xlsx", file: "sheet.csv", content: "city,population\nLisbon,545000\nPorto,232000\n",
			steps: []string{"xlsx", "pdf"}, wantText: []string{"Lisbon", "545000", "Porto"}, wantPages: 1},
		{name: "csv with semicolons via ods", file: "eu.csv", content: "name;amount\nAlpha;1,5\n",
			steps: []string{"ods", "pdf"}, firstOpts: engine.Options{"delimiter": ";"}, wantText: []string{"Alpha", "1,5"}, wantPages: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), tc.file, tc.content)
			for i, out := range tc.steps {
				var opts engine.Options
				switch {
				case i == len(tc.steps)-1:
					opts = tc.opts
				case i == 0:
					opts = tc.firstOpts
				}
				path = mustConvert(t, e, path, out, opts)
				if got := engine.FormatOf(path); got != out {
					t.Fatalf("output %s has format %s, want %s", path, got, out)
				}
			}
			text := pdfText(t, path)
			for _, want := range tc.wantText {
				if !strings.Contains(text, want) {
					t.Errorf("PDF text lacks %q; got:\n%s", want, text)
				}
			}
			if got := pdfPages(t, path); got != tc.wantPages {
				t.Errorf("PDF has %d pages, want %d", got, tc.wantPages)
			}
		})
	}
}

func TestPresentationConversions(t *testing.T) {
	e := sharedEngine(t)
	dir := t.TempDir()
	odp := writeODP(t, dir, "deck.odp", "First slide title", "Second slide title", "Third slide title")
	pptx := mustConvert(t, e, odp, "pptx", nil)
	back := mustConvert(t, e, pptx, "odp", nil)
	pdf := mustConvert(t, e, back, "pdf", engine.Options{"pages": "2-"})
	text := pdfText(t, pdf)
	for _, want := range []string{"Second slide title", "Third slide title"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q; got:\n%s", want, text)
		}
	}
	if strings.Contains(text, "First slide title") {
		t.Errorf("pages 2- kept the first slide:\n%s", text)
	}
	if got := pdfPages(t, pdf); got != 2 {
		t.Errorf("PDF has %d pages, want 2", got)
	}
}

func TestConversionErrors(t *testing.T) {
	e := sharedEngine(t)
	dir := t.TempDir()
	short := writeFile(t, dir, "short.txt", "one page only\n")
	garbage := writeFile(t, dir, "broken.docx", "PK\x03\x04 this is not really a zip file")
	tests := []struct {
		name     string
		path     string
		out      string
		opts     engine.Options
		wantCode string
		wantMsg  string
	}{
		{"pages past the end", short, "pdf", engine.Options{"pages": "3-4"}, engine.CodeInvalidInput, "the document has 1 page"},
		{"bad pages syntax", short, "pdf", engine.Options{"pages": "two"}, engine.CodeInvalidInput, "option pages"},
		{"pages for docx output", short, "docx", engine.Options{"pages": "1"}, engine.CodeInvalidInput, "only to PDF"},
		{"corrupt docx", garbage, "pdf", nil, engine.CodeInvalidInput, "could not be read"},
		{"unsupported pair", short, "xlsx", nil, engine.CodeUnsupportedConversion, "txt to xlsx"},
		{"timeout option not a number", short, "pdf", engine.Options{"timeout": "soon"}, engine.CodeInvalidInput, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := convert(t, e, tc.path, tc.out, tc.opts)
			if got := engine.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code %q (err %v), want %s", got, err, tc.wantCode)
			}
			if msg := engine.AsError(err).Message(); !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("message %q lacks %q", msg, tc.wantMsg)
			}
		})
	}
}

// A document must not make the converter fetch anything: linked images on
// an HTTP server or in local files are left out of the output.
func TestLinkedContentIsNotFetched(t *testing.T) {
	e := sharedEngine(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeFile(w, r, "/usr/share/icons/hicolor/48x48/apps/libreoffice-writer.png")
	}))
	defer srv.Close()
	dir := t.TempDir()
	local, _ := filepath.Abs("/usr/share/icons/hicolor/48x48/apps/libreoffice-calc.png")
	html := writeFile(t, dir, "links.html", `<p>Visible text</p><img src="`+srv.URL+`/remote.png"><img src="file://`+local+`">`)
	for _, out := range []string{"pdf", "docx"} {
		p := mustConvert(t, e, html, out, nil)
		if out == "pdf" {
			list, err := exec.Command("pdfimages", "-list", p).Output()
			if err != nil {
				t.Fatal(err)
			}
			if lines := strings.Count(strings.TrimSpace(string(list)), "\n"); lines > 1 {
				t.Errorf("the PDF embeds linked images:\n%s", list)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the HTTP server was asked %d times for a linked image, want 0", n)
	}
}

func TestVersionAndConversions(t *testing.T) {
	e := sharedEngine(t)
	if v := e.Version(); !versionRE.MatchString(v) {
		t.Errorf("Version() = %q, want a LibreOffice version such as 7.4.7.2", v)
	}
	r := engine.NewRegistry()
	r.Register(e)
	for _, c := range [][2]string{{"docx", "pdf"}, {"xlsx", "ods"}, {"pptx", "odp"}, {"csv", "xlsx"}, {"doc", "docx"}, {"html", "pdf"}} {
		if _, err := r.Lookup("convert", c[0], c[1]); err != nil {
			t.Errorf("Lookup %s to %s: %v", c[0], c[1], err)
		}
	}
	if _, err := r.Lookup("convert", "docx", "xlsx"); err == nil {
		t.Error("docx to xlsx is listed, but Writer documents cannot be spreadsheets")
	}
}

func TestProgress(t *testing.T) {
	e := sharedEngine(t)
	path := writeFile(t, t.TempDir(), "p.txt", "progress\n")
	var got []int
	_, err := e.Run(t.Context(), engine.Request{
		Operation: "convert", OutputFormat: "pdf",
		Inputs:   []engine.File{{Path: path, Name: "p.txt"}},
		WorkDir:  filepath.Dir(path),
		Progress: func(p int) { got = append(got, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{0, 50, 100} {
		found := false
		for _, p := range got {
			found = found || p == want
		}
		if !found {
			t.Errorf("progress %v lacks %d", got, want)
		}
	}
}
