package docstest

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

// The pages' examples assume the README's Quickstart: a gateway started
// with its defaults in the repository's directory, its address in $GW
// (http://localhost:8080 unless set), the token read from the data
// directory, and the examples' files in $TMPDIR. The test gives each page
// such a gateway of its own, on a free loopback port, and tells the
// examples where it is through the variables they read; it changes nothing
// in what they say. An example that starts a gateway of its own (to show
// a setting the quickstart's lacks) does so at $GW2 (http://localhost:8081
// unless set), which the test points at another free port.

const (
	// blockTimeout bounds one block; a conversion waits at most
	// GATEWAY_SIGNED_URL_WAIT (30 s) for its job, and the engines may be
	// starting still.
	blockTimeout = 3 * time.Minute
	// Fewer blocks than these means pages or their examples went missing,
	// or the extraction broke; raise them when examples are added.
	minBlocks    = 50
	minRun       = 35 // even on a machine without engines or npm packages
	minChecked   = 30 // blocks whose output is compared
	minPageCount = 8  // README.md and the pages of docs/
)

// gatewayReadLimit bounds how long a new gateway may take to answer
// /healthz: a few seconds here, more on a machine busy with the other
// packages' tests.
const gatewayReadLimit = 2 * time.Minute

// TestDocExamples runs every shell block of README.md and docs/*.md.
func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example against a gateway of its own; not in -short")
	}
	root := repoRoot(t)
	testutil.NeedPrograms(t, "bash", "curl", "jq")
	pages := docPages(t, root)
	bin := buildGateway(t, root)

	var total tally
	for _, page := range pages {
		t.Run(page.name, func(t *testing.T) {
			total.add(runPage(t, root, bin, page))
		})
	}

	t.Logf("%d shell blocks in %d pages: %d ran (%d with their output checked), %d skipped, %d not run:",
		total.blocks, len(total.pages), total.ran, total.checked, total.skipped, len(total.noRun))
	for _, n := range total.noRun {
		t.Logf("  no-run %s", n)
	}
	if filtered() {
		return // a -run naming one page: the totals below are the whole set's
	}
	if len(pages) < minPageCount {
		t.Errorf("found %d pages, want at least %d", len(pages), minPageCount)
	}
	for _, p := range pages {
		if len(p.blocks) > 0 && !slices.Contains(total.pages, p.name) {
			t.Errorf("%s has shell examples but none of them ran", p.name)
		}
	}
	if total.blocks < minBlocks {
		t.Errorf("found %d shell blocks, want at least %d", total.blocks, minBlocks)
	}
	if total.ran < minRun {
		t.Errorf("ran %d blocks, want at least %d", total.ran, minRun)
	}
	if total.checked < minChecked {
		t.Errorf("checked the output of %d blocks, want at least %d", total.checked, minChecked)
	}
}

// tally counts what happened to the blocks.
type tally struct {
	blocks, ran, checked, skipped int
	noRun                         []string // "page:line: reason"
	pages                         []string // pages at least one block of which ran
}

func (t *tally) add(o tally) {
	t.blocks += o.blocks
	t.ran += o.ran
	t.checked += o.checked
	t.skipped += o.skipped
	t.noRun = append(t.noRun, o.noRun...)
	t.pages = append(t.pages, o.pages...)
}

type page struct {
	name   string // relative to the repository: README.md, docs/jobs.md
	blocks []Block
}

// runPage runs one page's blocks in order in one shell, against a gateway
// of the page's own.
func runPage(t *testing.T, root, bin string, p page) tally {
	var c tally
	c.blocks = len(p.blocks)
	var runnable []Block
	for _, b := range p.blocks {
		if b.NoRun != "" {
			c.noRun = append(c.noRun, fmt.Sprintf("%s: %s", b.Name(), b.NoRun))
			continue
		}
		runnable = append(runnable, b)
	}
	if len(runnable) == 0 {
		return c
	}

	work := t.TempDir()
	tmp := filepath.Join(work, "tmp")
	dataDir := filepath.Join(work, "data")
	blockDir := filepath.Join(work, "blocks")
	for _, d := range []string{tmp, blockDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	port := testutil.FreePort(t)
	gw := fmt.Sprintf("http://localhost:%d", port)
	// Nothing of the caller's configuration reaches the gateway or the
	// examples: they get the defaults the pages describe.
	drop := []string{"GATEWAY_", "GW", "GW2", "SCRATCH", "NODE_PATH", "CLOUDINARY_URL"}
	startGateway(t, bin, work, Env(os.Environ(), drop, map[string]string{
		"GATEWAY_ADDR":     fmt.Sprintf("127.0.0.1:%d", port),
		"GATEWAY_DATA_DIR": dataDir,
		"TMPDIR":           tmp,
		// The one setting that is not the default: a link waits up to
		// 30 s for its job and then answers 202, which is right but not
		// what the examples show. The first conversion of an engine
		// includes its start, which on a machine busy with the other
		// packages' tests may take longer than that.
		"GATEWAY_SIGNED_URL_WAIT": "2m",
	}), gw)

	sh, err := StartShell(root, blockDir, Env(os.Environ(), drop, map[string]string{
		"GW":               gw,
		"GW2":              fmt.Sprintf("http://localhost:%d", testutil.FreePort(t)),
		"GATEWAY_DATA_DIR": dataDir,
		"TMPDIR":           tmp,
		"PATH":             filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()

	before := topLevel(t, root)
	failed := ""
	for _, b := range runnable {
		t.Run(fmt.Sprintf("line_%d", b.Line), func(t *testing.T) {
			if failed != "" {
				t.Skipf("not run: %s failed, and the blocks after it build on it", failed)
			}
			needs(t, root, b.Needs)
			res, err := sh.Run(b.Code, blockTimeout)
			t.Logf("%s ran in %v", b.Name(), res.Took.Round(time.Millisecond))
			if err != nil {
				failed = b.Name()
				t.Fatalf("%s: %v\n--- block\n%s--- stdout\n%s--- stderr\n%s", b.Name(), err, b.Code, res.Stdout, res.Stderr)
			}
			c.ran++
			if len(c.pages) == 0 {
				c.pages = append(c.pages, p.name)
			}
			if b.HasExpect {
				// The pages show the default address and scratch
				// directory; the output has this run's.
				want := strings.NewReplacer(
					"http://localhost:8080", gw,
					"/tmp/gw-examples", filepath.Join(tmp, "gw-examples"),
				).Replace(b.Expect)
				if err := Match(want, res.Stdout); err != nil {
					t.Errorf("%s (output at line %d): %v\n--- stderr\n%s", b.Name(), b.ExpectLine, err, res.Stderr)
				}
				c.checked++
			}
		})
	}
	c.skipped = len(runnable) - c.ran
	if failed != "" {
		c.skipped--
	}
	// The examples keep their files in $TMPDIR; the repository is where a
	// reader runs them, so a name of the page's code that appears in its
	// top directory is a file an example left behind. Other new names
	// are only reported: other packages' tests run meanwhile.
	var code strings.Builder
	for _, b := range runnable {
		code.WriteString(b.Code)
	}
	for _, name := range topLevel(t, root) {
		switch {
		case slices.Contains(before, name):
		case strings.Contains(code.String(), name):
			t.Errorf("an example of %s left %s in the repository", p.name, name)
		default:
			t.Logf("%s appeared in the repository while %s ran, named by none of its examples", name, p.name)
		}
	}
	return c
}

// startGateway runs the gateway binary in dir with env until the test
// ends, and waits for it to answer.
func startGateway(t *testing.T, bin, dir string, env []string, url string) {
	t.Helper()
	logPath := filepath.Join(dir, "gateway.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// A graceful stop, so the engines' processes go with it.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(45 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("gateway log:\n%s", log)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), gatewayReadLimit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the gateway exited at start:\n%s", log)
		case <-ctx.Done():
			t.Fatalf("the gateway did not answer %s/healthz within %v", url, gatewayReadLimit)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// buildGateway builds the gateway binary once for every page; it goes
// first on the examples' PATH, as `go install ./cmd/gateway` puts it on a
// reader's.
func buildGateway(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin", "gateway")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gateway")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gateway: %v\n%s", err, out)
	}
	return bin
}

// docPages reads README.md and docs/*.md.
func docPages(t *testing.T, root string) []page {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var pages []page
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, f)
		blocks, err := Parse(name, string(src))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page{name: name, blocks: blocks})
	}
	return pages
}

// repoRoot is the directory of go.mod, where a reader runs the examples.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// topLevel lists the names in the repository's top directory.
func topLevel(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// filtered reports whether -run selects less than the whole test.
func filtered() bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), "/")
}

// needs ends t with testutil.MissingTool unless every program (on PATH)
// and repository path (anything with a slash) a block needs is there: a
// skip in a bare go test, a failure under make test and CI, whose set-up
// installs them all.
func needs(t *testing.T, root string, names []string) {
	t.Helper()
	for _, name := range names {
		if !strings.Contains(name, "/") {
			testutil.NeedProgram(t, name)
			continue
		}
		install := ".ci/setup"
		if filepath.Base(name) == "node_modules" {
			install = "npm ci --prefix " + filepath.Dir(name)
		}
		testutil.NeedFile(t, filepath.Join(root, name), name, install)
	}
}
