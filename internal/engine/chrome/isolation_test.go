package chrome

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Every converted document has the same origin, so a job whose page stored
// something in the browser would hand it to the next job on that tab. Job
// A stores; job B, on the same (single) tab, prints what it finds.
func TestJobsShareNoStorage(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1})
	a := `<p>job A</p><script>localStorage.setItem('k','A-local');sessionStorage.setItem('k','A-session');
document.cookie='c=A-cookie;max-age=3600'</script>`
	b := `<p id=o></p><script>o.textContent='B saw ['+localStorage.getItem('k')+'|'+sessionStorage.getItem('k')+'|'+document.cookie+']'</script>`
	if _, err := convert(t, e, a, nil); err != nil {
		t.Fatal(err)
	}
	p, err := convert(t, e, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, p)
	if !strings.Contains(text, "B saw [null|null|]") || strings.Contains(text, "A-") {
		t.Errorf("job B's PDF says %q, want B saw [null|null|]", strings.TrimSpace(text))
	}
}

// The same for what a page stores asynchronously: IndexedDB and the Cache
// API. Job B's page is loaded as a job's is, and then asked what it sees
// (a page's own script could not hold the printing for the answer).
func TestJobsShareNoAsyncStorage(t *testing.T) {
	e := newEngine(t, Config{Tabs: 1})
	a := `<p>job A</p><script>indexedDB.open('db-of-A').onupgradeneeded=ev=>ev.target.result.createObjectStore('s');
caches.open('cache-of-A').then(c=>c.put('/k',new Response('A')));</script>`
	if _, err := convert(t, e, a, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // whatever of A's writes is left to finish
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var seen string
	err := e.withTab(ctx, "test", freshTab, func(s *session, tb *tab) error {
		defer s.replaceTab(tb, e)
		if _, err := tb.render(tb.ctx, []byte("<p>job B</p>"), output{format: "pdf", print: page.PrintToPDF()}); err != nil {
			return err
		}
		return chromedp.Run(tb.ctx, chromedp.Evaluate(`Promise.all([
  indexedDB.databases().then(d => d.map(x => x.name)),
  caches.keys(),
]).then(r => JSON.stringify(r))`, &seen, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != "[[],[]]" {
		t.Errorf("job B sees databases and caches %s, want none", seen)
	}
}

// A document without a script goes to a static tab, where no script runs
// even if one got there: a document that mayRunScript misses prints
// without its script, and can neither store nor read anything.
func TestStaticTabsRunNoScript(t *testing.T) {
	tests := []struct {
		html   string
		script bool
	}{
		{"<h1>Invoice</h1><p>Total: 99 EUR</p><style>p{color:red}</style>", false},
		{"<p>Notes on the conversion</p>", false},
		{"<SCRIPT>x()</SCRIPT>", true},
		{"<svg><script>x()</script></svg>", true},
		{`<img src=x onerror="x()">`, true},
		{`<img/src=x/ONERROR =x()>`, true},
		{`<body onload=x()>`, true},
		{`<a href="JavaScript:x()">a</a>`, true},
		{`<iframe src="&#106;avascript:x()"></iframe>`, true},
		{`<iframe srcdoc="&lt;script&gt;x()&lt;/script&gt;"></iframe>`, true},
		{`<frameset><frame src="x"></frameset>`, true},
		{`<object data="x"></object>`, true},
		{`<embed src="x">`, true},
		{`<noscript>enable scripts</noscript>`, true},
		{"\xff\xfe<\x00p\x00>\x00", true}, // UTF-16
	}
	for _, tc := range tests {
		if got := mayRunScript([]byte(tc.html)); got != tc.script {
			t.Errorf("mayRunScript(%q) = %v, want %v", tc.html, got, tc.script)
		}
	}

	e := newEngine(t, Config{Tabs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	html := `<p id=o>static</p><script>o.textContent='SCRIPT RAN';localStorage.setItem('k','v')</script>
<img src=x onerror="o.textContent='HANDLER RAN'"><iframe srcdoc="<script>parent.o.textContent='FRAME RAN'</script>"></iframe>`
	for range 2 { // the second time on the same, reused tab
		var pdf []byte
		err := e.withTab(ctx, "test", staticTab, func(s *session, tb *tab) error {
			var err error
			pdf, err = e.render(ctx, s, tb, []byte(html), output{format: "pdf", print: page.PrintToPDF()}, time.Minute)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "out.pdf")
		if err := os.WriteFile(p, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		if text := pdfText(t, p); !strings.Contains(text, "static") || strings.Contains(text, "RAN") {
			t.Errorf("a static tab ran a script: %q", text)
		}
	}
}

func FuzzMayRunScript(f *testing.F) {
	f.Add([]byte("<p>x</p>"), uint(0), uint8(0))
	f.Add([]byte("<h1>Notes</h1>"), uint(3), uint8(2))
	markers := []string{"<script", "<svg><script>", " onload=", "/ONERROR =", "javascript:", "<iframe ", "<frame ", "<object ", "<embed ", "<noscript>"}
	f.Fuzz(func(t *testing.T, html []byte, at uint, which uint8) {
		mayRunScript(html)
		// Any script marker, in any letter case, anywhere, makes a
		// document scripted.
		m := []byte(markers[int(which)%len(markers)])
		for i := range m {
			if at&(1<<(i%64)) != 0 {
				m[i] = bytes.ToUpper(m[i : i+1])[0]
			}
		}
		i := int(at % uint(len(html)+1))
		doc := append(append(append([]byte{}, html[:i]...), m...), html[i:]...)
		if !mayRunScript(doc) {
			t.Errorf("mayRunScript(%q) = false", doc)
		}
	})
}
