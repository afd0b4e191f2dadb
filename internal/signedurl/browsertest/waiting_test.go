package browsertest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// result is what interop/wait.mjs reports.
type result struct {
	Status       int      `json:"status"`
	ContentType  string   `json:"contentType"`
	Title        string   `json:"title"`
	Heading      string   `json:"heading"`
	What         string   `json:"what"`
	State        string   `json:"state"`
	DownloadName string   `json:"downloadName"`
	Ready        bool     `json:"ready"`
	Message      string   `json:"message"`
	Code         string   `json:"code"`
	Error        string   `json:"error"`
	Console      []string `json:"console"`
}

// requireTools ends the test with testutil.MissingTool when Chromium, node
// or the npm packages of interop are missing.
func requireTools(t *testing.T) (chromium string) {
	t.Helper()
	chromium = testutil.NeedProgram(t, "chromium")
	testutil.NeedProgram(t, "node")
	testutil.NeedFile(t, filepath.Join("interop", "node_modules", "playwright-core"),
		"interop/node_modules/playwright-core", "npm ci --prefix internal/signedurl/browsertest/interop")
	return chromium
}

// artifacts is where the screenshots are kept after the test:
// $TEST_ARTIFACTS_DIR, or gateway-test-artifacts in the temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("TEST_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gateway-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// slowOrigin serves page.html after delay, and missing.html as a 404 after
// delay: an import that takes that long.
func slowOrigin(t *testing.T, delay time.Duration) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if r.URL.Path != "/page.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><title>Report</title><h1>Quarterly report</h1><p>Made while you waited.</p>"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func open(t *testing.T, chromium, link, expect, name string) (result, string) {
	t.Helper()
	dir := artifacts(t)
	shot := filepath.Join(dir, name+".png")
	download := filepath.Join(t.TempDir(), "download")
	spec, _ := json.Marshal(map[string]any{
		"chromium": chromium, "userDataDir": t.TempDir(), "link": link, "expect": expect,
		"screenshot": shot, "downloadTo": download, "timeoutMs": (60 * time.Second).Milliseconds(),
	})
	cmd := exec.Command("node", "wait.mjs", string(spec))
	cmd.Dir = "interop"
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node wait.mjs: %v\n%s", err, out)
	}
	var res result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("wait.mjs printed %q: %v", out, err)
	}
	if res.Error != "" {
		t.Fatalf("browser: %s\nconsole: %v", res.Error, res.Console)
	}
	t.Logf("screenshot of the waiting page: %s", shot)
	if b, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("no screenshot at %s: %v", shot, err)
	}
	return res, download
}

func TestWaitingPageBringsTheFile(t *testing.T) {
	chromium := requireTools(t)
	origin := slowOrigin(t, 8*time.Second)
	g := apptest.Start(t, map[string]string{
		"GATEWAY_FETCH_ALLOW_CIDRS": "127.0.0.0/8",
		"GATEWAY_SIGNED_URL_WAIT":   "1s",
		"GATEWAY_JOBS_WORKERS":      "1",
	})
	const secret = "waiting-page-test-secret-0123456789"
	if code := g.Admin(t, "POST", "/v1/signed-url-bases", map[string]string{"id": "docs", "signing_secret": secret}, nil); code != 201 {
		t.Fatalf("create base: %d", code)
	}
	sign := func(url string) string {
		job := `{"tasks":{"in":{"operation":"import/url","url":"` + url + `"},` +
			`"c":{"operation":"convert","input":"in","output_format":"pdf"},"out":{"operation":"export/url","input":"c"}}}`
		return urlsig.Sign(g.URL+"/docs", secret, []byte(job), "")
	}

	t.Run("download", func(t *testing.T) {
		began := time.Now()
		res, file := open(t, chromium, sign(origin+"/page.html"), "download", "waiting-page")
		if res.Status != http.StatusAccepted || !strings.HasPrefix(res.ContentType, "text/html") {
			t.Errorf("first answer: %d %s", res.Status, res.ContentType)
		}
		if res.Heading != "Preparing your file" || !strings.Contains(res.What, "page.pdf (PDF)") || !strings.Contains(res.State, "%") {
			t.Errorf("page: %q / %q / %q", res.Heading, res.What, res.State)
		}
		if !strings.HasSuffix(res.DownloadName, ".pdf") || !res.Ready {
			t.Errorf("download %q, ready shown %v", res.DownloadName, res.Ready)
		}
		if pdf, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Errorf("the download is not a PDF: %v", err)
		}
		if took := time.Since(began); took < 7*time.Second {
			t.Errorf("the download came after %s: the job did not take its time", took)
		}
		for _, line := range res.Console {
			if strings.Contains(line, "Content Security Policy") || strings.HasPrefix(line, "pageerror") {
				t.Errorf("console: %s", line)
			}
		}
	})

	t.Run("failure in words", func(t *testing.T) {
		res, _ := open(t, chromium, sign(origin+"/missing.html"), "error", "waiting-page-failure")
		if res.Status != http.StatusAccepted {
			t.Errorf("first answer: %d", res.Status)
		}
		if res.Heading != "The file could not be made" || !strings.Contains(res.What, "failed") || res.Code != "UPSTREAM_STATUS" || !strings.Contains(res.Message, "404") {
			t.Errorf("error shown: %q %q %q", res.Heading, res.Code, res.Message)
		}
	})

	t.Run("API client gets JSON", func(t *testing.T) {
		resp, err := http.Get(sign(origin + "/page.html"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("API client: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
