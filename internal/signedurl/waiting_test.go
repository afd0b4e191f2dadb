package signedurl

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// pageJob converts a document, so the page can say what it makes.
const pageJob = `{"tasks":{"in":{"operation":"import/url","url":"http://127.0.0.1:1/files/report.docx?x=1"},"c":{"operation":"convert","input":"in","output_format":"pdf"},"out":{"operation":"export/url","input":"c"}}}`

func getWith(t *testing.T, url, accept string) answer {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	a.body = []byte(b.String())
	return a
}

func TestBrowserGetsTheWaitingPage(t *testing.T) {
	h := newHarness(t, false)
	h.runner.hold = true
	h.handler.Wait = time.Millisecond
	b := h.createBase(t, map[string]string{"signing_secret": testSecret})
	link := urlsig.Sign(b.Base, testSecret, []byte(pageJob), "k1")

	page := getWith(t, link, browserAccept)
	if page.status != http.StatusAccepted || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("browser: %d %s", page.status, page.header.Get("Content-Type"))
	}
	body := string(page.body)
	for _, want := range []string{"<progress", "report.pdf (PDF) is being made", `role="status"`, `lang="en"`, "/outputs/status/job-1?"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, testSecret) || strings.Contains(body, "http://127.0.0.1:1/") {
		t.Errorf("the page shows the secret or the job's import URL")
	}
	checkCSP(t, page)

	// API clients keep the JSON, for the same link.
	for _, accept := range []string{"", "application/json", "*/*", "application/json, text/html;q=0.5"} {
		a := getWith(t, link, accept)
		if a.status != http.StatusAccepted || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("Accept %q: %d %s", accept, a.status, a.header.Get("Content-Type"))
		}
	}

	// The page's status URL follows the job, and only that job.
	status := regexp.MustCompile(`/outputs/status/[^"]+`).FindString(body)
	status = strings.ReplaceAll(status, `\u0026`, "&")
	var v jobView
	a := getWith(t, h.srv.URL+status, "")
	if a.status != 200 || json.Unmarshal(a.body, &v) != nil || v.Status != "processing" || v.Done {
		t.Fatalf("status URL %s: %d %s", status, a.status, a.body)
	}
	for name, bad := range map[string]string{
		"tampered signature": status[:len(status)-2] + "00",
		"another job":        strings.Replace(status, "job-1", "job-2", 1),
		"no signature":       status[:strings.Index(status, "&sig=")],
		"unknown base":       regexp.MustCompile(`base=[^&]+`).ReplaceAllString(status, "base=nope"),
	} {
		if a := getWith(t, h.srv.URL+bad, ""); a.status != http.StatusForbidden {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
	expired := statusURL(Base{ID: b.ID, Secret: testSecret}, "job-1", time.Now().Add(-2*statusTTL))
	if a := getWith(t, h.srv.URL+expired, ""); a.status != http.StatusForbidden || !strings.Contains(string(a.body), CodeStatusExpired) {
		t.Errorf("expired status URL: %d %s", a.status, a.body)
	}

	close(h.runner.jobs[0].release)
	a = getWith(t, h.srv.URL+status, "")
	if json.Unmarshal(a.body, &v) != nil || v.Status != "finished" || !v.Done {
		t.Errorf("after the job: %s", a.body)
	}
	// Once done, the browser is redirected like anyone.
	if a := getWith(t, link, browserAccept); a.status != http.StatusFound {
		t.Errorf("done: %d", a.status)
	}
}

func TestBrowserSeesAFailureInWords(t *testing.T) {
	h := newHarness(t, false)
	h.runner.fail = true
	b := h.createBase(t, map[string]string{"signing_secret": testSecret})
	link := urlsig.Sign(b.Base, testSecret, []byte(pageJob), "")
	page := getWith(t, link, browserAccept)
	if page.status != http.StatusUnprocessableEntity || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("browser: %d %s", page.status, page.header.Get("Content-Type"))
	}
	if body := string(page.body); !strings.Contains(body, "could not be made") || !strings.Contains(body, `role="alert"`) {
		t.Errorf("page:\n%s", body)
	}
	checkCSP(t, page)
	if a := getWith(t, link, "application/json"); a.status != http.StatusUnprocessableEntity || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("API client: %d %s", a.status, a.header.Get("Content-Type"))
	}
}

// checkCSP checks that the page's policy allows its own script and style,
// by their hashes, and nothing from elsewhere.
func checkCSP(t *testing.T, page answer) {
	t.Helper()
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q", csp)
	}
	body := string(page.body)
	for _, re := range []string{`<script>([\s\S]*?)</script>`, `<style>([\s\S]*?)</style>`} {
		m := regexp.MustCompile(re).FindStringSubmatch(body)
		if m == nil || !strings.Contains(csp, hashOf(m[1])) {
			t.Errorf("the policy does not allow the page's own %s", re[1:7])
		}
	}
	if page.header.Get("X-Content-Type-Options") != "nosniff" || page.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", page.header)
	}
}

func TestWantsPage(t *testing.T) {
	for accept, want := range map[string]bool{
		browserAccept:                 true,
		"text/html":                   true,
		"":                            false,
		"*/*":                         false,
		"application/json":            false,
		"application/json, text/html": false,
		"text/html;q=0.2, application/json;q=0.9": false,
		"text/*, application/json;q=0.5":          true,
		"text/html;q=0":                           false,
		"garbage;;;":                              false,
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		if got := wantsPage(r); got != want {
			t.Errorf("Accept %q: %v, want %v", accept, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for job, want := range map[string]string{
		pageJob: "report.pdf PDF",
		`{"tasks":{"in":{"operation":"import/raw","file":"x","filename":"a.html"},"c":{"operation":"convert","input":"in","output_format":"PNG"},"out":{"operation":"export/url","input":"c"}}}`: "a.png PNG",
		`{"tasks":{"in":{"operation":"import/url","url":"http://h/"},"out":{"operation":"export/url","input":"in"}}}`:                                                                            " ",
	} {
		spec, err := jobspec.Decode([]byte(job))
		if err != nil {
			t.Fatal(err)
		}
		name, format := describe(spec)
		if got := name + " " + format; got != want {
			t.Errorf("%s: %q, want %q", job, got, want)
		}
	}
}

// TestWaitingPageKeepsVaryOrigin: answers that differ by Accept say so
// without dropping the Vary: Origin of a base with a CORS rule.
func TestWaitingPageKeepsVaryOrigin(t *testing.T) {
	h := newHarness(t, false)
	h.runner.hold = true
	h.handler.Wait = time.Millisecond
	var created struct {
		Base Base `json:"signed_url_base"`
	}
	if code := h.admin(t, "POST", "/v1/signed-url-bases", map[string]any{"signing_secret": testSecret,
		"cors": map[string]any{"allowed_origins": []string{"https://app.example.com"}}}, &created); code != 201 {
		t.Fatalf("create base: %d", code)
	}
	link := urlsig.Sign(created.Base.Base, testSecret, []byte(pageJob), "k1")
	for _, accept := range []string{browserAccept, "application/json"} {
		req, _ := http.NewRequest("GET", link, nil)
		req.Header.Set("Accept", accept)
		req.Header.Set("Origin", "https://app.example.com")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		vary := strings.Join(resp.Header.Values("Vary"), ",")
		if resp.StatusCode != http.StatusAccepted || !strings.Contains(vary, "Origin") || !strings.Contains(vary, "Accept") {
			t.Errorf("Accept %q: %d Vary %q", accept, resp.StatusCode, vary)
		}
	}
}
