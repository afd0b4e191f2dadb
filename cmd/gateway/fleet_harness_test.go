package main

// The harness of the fleet tests (fleet_test.go): edges (gateway serve with
// GATEWAY_JOBS_WORKERS=0) and workers (gateway worker) as processes of the
// built binary, on one redis-server of the test's own, with their outputs in
// one bucket of a real S3 server. The origin the jobs import from and the
// requests of the tests are in fleet_origin_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// noEngines keeps a worker to the built-in engines (images, archives): no
// browser, office or media processes, and images by the pure-Go engine.
var noEngines = []string{
	"GATEWAY_ENGINES_CHROME_CHROMIUM=/nonexistent",
	"GATEWAY_ENGINES_OFFICE_SOFFICE=/nonexistent",
	"GATEWAY_ENGINES_FFMPEG_BIN=/nonexistent",
	"GATEWAY_ENGINES_FFMPEG_PROBE_BIN=/nonexistent",
	"GATEWAY_ENGINES_VIPS_DIR=/nonexistent",
}

// withChromium gives a worker Chromium, with one tab.
var withChromium = []string{"GATEWAY_ENGINES_CHROME_CHROMIUM=chromium", "GATEWAY_ENGINES_CHROME_TABS=1"}

// requireTools fails t, naming the install command, when a program the
// fleet needs is missing: these tests never skip for want of one.
func requireTools(t *testing.T, programs ...string) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (apt-get install redis-server): %v", err)
	}
	if err := s3test.Installed(); err != nil {
		t.Fatalf("versitygw is not installed (install it with `%s`): %v", s3test.InstallCommand, err)
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s is not installed (apt-get install %s): %v", p, p, err)
		}
	}
}

// fleet is the processes of one test and what they share.
type fleet struct {
	t            *testing.T
	bin          string
	Redis        *redistest.Server
	S3           *s3test.Server
	token        string
	env          []string // every process's settings
	firstAddr    string   // the first edge's address, GATEWAY_PUBLIC_URL
	edges        []*proc
	procs        []*proc // every process started, for the logs
	edgeN, workN int
	base, secret string // the signed-URL base (createBase)
}

// startFleet starts Redis (append-only, so it may be killed and started
// again) and S3 for t; env is given to every process after the defaults.
func startFleet(t *testing.T, env ...string) *fleet {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a fleet of gateway processes")
	}
	requireTools(t)
	f := &fleet{t: t, bin: binary(t), token: "fleet-token-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	// First registered, so it runs last: after every process was killed.
	t.Cleanup(f.printLogs)
	f.Redis = redistest.StartServer(t, redistest.ServerOptions{AppendOnly: true})
	f.S3 = s3test.Start(t)
	f.S3.CreateBucket(t, "fleet-outputs")
	f.firstAddr = "127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
	f.env = append([]string{
		"GATEWAY_REDIS_URL=" + f.Redis.URL(),
		// The fleet's Redis is its own and its keys go with it.
		"GATEWAY_REDIS_PREFIX=fleet:",
		"GATEWAY_ADMIN_TOKEN=" + f.token,
		"GATEWAY_PUBLIC_URL=http://" + f.firstAddr,
		"GATEWAY_JOBS_OUTPUT_URL=s3://fleet-outputs/outputs",
		"GATEWAY_S3_ENDPOINT=" + f.S3.Endpoint(),
		"GATEWAY_S3_REGION=" + f.S3.Region,
		"GATEWAY_S3_FORCE_PATH_STYLE=true",
		"GATEWAY_S3_ACCESS_KEY_ID=" + f.S3.AccessKey,
		"GATEWAY_S3_SECRET_ACCESS_KEY=" + f.S3.SecretKey,
		// The origin is on loopback, which import/url refuses by default.
		"GATEWAY_FETCH_ALLOW_CIDRS=127.0.0.0/8",
		"GATEWAY_SHUTDOWN_TIMEOUT=5s",
	}, env...)
	return f
}

// edge starts a gateway serve that runs no jobs; the first one listens at
// GATEWAY_PUBLIC_URL. Its engines are left as they are installed: an edge
// must start none of them.
func (f *fleet) edge(env ...string) *proc {
	f.t.Helper()
	addr := f.firstAddr
	if len(f.edges) > 0 {
		addr = "127.0.0.1:" + strconv.Itoa(testutil.FreePort(f.t))
	}
	f.edgeN++
	p := f.start("serve", fmt.Sprintf("edge%d", f.edgeN), addr, `"msg":"gateway listening"`,
		append([]string{"GATEWAY_JOBS_WORKERS=0"}, env...))
	f.edges = append(f.edges, p)
	return p
}

// worker starts a gateway worker running one job at a time with the
// built-in engines only, unless env says otherwise.
func (f *fleet) worker(env ...string) *proc {
	f.t.Helper()
	f.workN++
	addr := "127.0.0.1:" + strconv.Itoa(testutil.FreePort(f.t))
	return f.start("worker", fmt.Sprintf("worker%d", f.workN), addr, `"msg":"gateway worker listening"`,
		append(append([]string{"GATEWAY_JOBS_WORKERS=1"}, noEngines...), env...))
}

// workers are the worker processes still running.
func (f *fleet) workers() []*proc {
	var live []*proc
	for _, p := range f.procs {
		if strings.HasPrefix(p.name, "worker") && !p.exitedNow() {
			live = append(live, p)
		}
	}
	return live
}

// running waits for the one live worker whose gateway_jobs_running is 1.
func (f *fleet) running() *proc {
	f.t.Helper()
	var found *proc
	testutil.Eventually(f.t, 15*time.Second, "a worker runs the job", func() bool {
		found = nil
		for _, w := range f.workers() {
			if v, err := w.metric("gateway_jobs_running"); err == nil && v == 1 {
				if found != nil {
					f.t.Fatalf("%s and %s both run a job", found.name, w.name)
				}
				found = w
			}
		}
		return found != nil
	})
	return found
}

func (f *fleet) start(sub, name, addr, ready string, env []string) *proc {
	t := f.t
	t.Helper()
	p := &proc{name: name, addr: addr, out: &procLog{marker: ready, ready: make(chan struct{})}, exited: make(chan struct{})}
	p.cmd = exec.Command(f.bin, sub)
	p.cmd.Env = cleanEnv(append(slices.Clone(f.env),
		append([]string{"GATEWAY_ADDR=" + addr, "GATEWAY_DATA_DIR=" + t.TempDir()}, env...)...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	// The kernel kills the process if the test binary dies first.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	f.procs = append(f.procs, p)
	t.Cleanup(p.kill)
	select {
	case <-p.out.ready:
		return p
	case <-p.exited:
		t.Fatalf("%s exited before it listened: %v", name, p.err)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30s", name)
	}
	return nil
}

// printLogs shows the end of every process's log when t failed (or
// always, with FLEET_LOGS set).
func (f *fleet) printLogs() {
	if !f.t.Failed() && os.Getenv("FLEET_LOGS") == "" {
		return
	}
	for _, p := range f.procs {
		f.t.Logf("---- %s (pid %d, %v) ----\n%s", p.name, p.cmd.Process.Pid, p.err, p.out.tail(200))
	}
}

// createBase creates a signed-URL base on the first edge and waits until
// every edge routes its path.
func (f *fleet) createBase() {
	t := f.t
	t.Helper()
	status, body := f.admin(f.edges[0], "POST", "/v1/signed-url-bases", `{"name":"fleet"}`)
	var created struct {
		Base struct {
			Base   string `json:"base"`
			Secret string `json:"signing_secret"`
		} `json:"signed_url_base"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &created) != nil {
		t.Fatalf("create a base: %d %s", status, body)
	}
	f.base, f.secret = created.Base.Base, created.Base.Secret
	for _, e := range f.edges {
		testutil.Eventually(t, 10*time.Second, e.name+" routes the base", func() bool {
			// Unsigned: refused 403 once the path is a base's, 404 before.
			return get(on(e, f.base), 5*time.Second).status == http.StatusForbidden
		})
	}
}

// sign is a signed link of the base for job, built as `gateway sign
// cloudconvert` builds it. It does not use t, so goroutines may call it.
func (f *fleet) sign(job any, cacheKey string) (string, error) {
	raw, err := json.Marshal(job)
	if err != nil {
		return "", err
	}
	var out, errb bytes.Buffer
	args := []string{"--base", f.base, "--secret", f.secret, "--job", "-", "--cache-key", cacheKey}
	if code := signCloudConvert(args, bytes.NewReader(raw), &out, &errb); code != 0 {
		return "", fmt.Errorf("gateway sign cloudconvert: exit %d: %s", code, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

func (f *fleet) mustSign(job any, cacheKey string) string {
	f.t.Helper()
	u, err := f.sign(job, cacheKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// admin calls the admin API of p.
func (f *fleet) admin(p *proc, method, path, body string) (int, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, "http://"+p.addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s on %s: %v", method, path, p.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// jobStatus is GET /v1/jobs/{id} on p: the job's status and the codes of
// its tasks; "" when p does not know the job.
func (f *fleet) jobStatus(p *proc, id string) (string, []string) {
	f.t.Helper()
	status, body := f.admin(p, "GET", "/v1/jobs/"+id, "")
	if status == http.StatusNotFound {
		return "", nil
	}
	var st struct {
		Data struct {
			Status string `json:"status"`
			Tasks  []struct {
				Code *string `json:"code"`
			} `json:"tasks"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &st) != nil {
		f.t.Fatalf("GET /v1/jobs/%s on %s: %d %s", id, p.name, status, body)
	}
	var codes []string
	for _, task := range st.Data.Tasks {
		if task.Code != nil {
			codes = append(codes, *task.Code)
		}
	}
	return st.Data.Status, codes
}

// formats is GET /v1/formats on p, as "operation input output engine".
func (f *fleet) formats(p *proc) []string {
	f.t.Helper()
	status, body := f.admin(p, "GET", "/v1/formats", "")
	var list struct {
		Formats []struct {
			Operation string `json:"operation"`
			Input     string `json:"input_format"`
			Output    string `json:"output_format"`
			Engine    string `json:"engine"`
		} `json:"formats"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &list) != nil {
		f.t.Fatalf("GET /v1/formats on %s: %d %s", p.name, status, body)
	}
	var out []string
	for _, c := range list.Formats {
		out = append(out, c.Operation+" "+c.Input+" "+c.Output+" "+c.Engine)
	}
	return out
}

// until302 asks for u on p until it is answered 302 (a link with a
// cache_key joins its running job), and returns that answer.
func (f *fleet) until302(p *proc, u string, within time.Duration) answer {
	f.t.Helper()
	var a answer
	testutil.Eventually(f.t, within, "a 302 for the link on "+p.name, func() bool {
		a = get(on(p, u), within)
		switch a.status {
		case http.StatusFound:
			return true
		case http.StatusAccepted:
			time.Sleep(100 * time.Millisecond)
			return false
		}
		f.t.Fatalf("the link on %s: %d %v %s", p.name, a.status, a.err, a.body)
		return false
	})
	return a
}

// download fetches an output link through p and checks it is a JPEG or a
// PDF, as its extension says.
func (f *fleet) download(p *proc, location string) {
	f.t.Helper()
	a := get(on(p, location), 10*time.Second)
	magic := map[string]string{".jpg": "\xff\xd8\xff", ".pdf": "%PDF-"}[filepath.Ext(strings.Split(location, "?")[0])]
	if a.status != http.StatusOK || magic == "" || !bytes.HasPrefix(a.body, []byte(magic)) {
		f.t.Errorf("download %s through %s: %d %v, %d bytes starting %q", location, p.name, a.status, a.err, len(a.body), a.body[:min(len(a.body), 8)])
	}
}

// proc is one gateway process.
type proc struct {
	name, addr string
	cmd        *exec.Cmd
	out        *procLog
	exited     chan struct{}
	err        error // how it exited, once exited is closed
}

func (p *proc) exitedNow() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the process, as a crash would, and waits for it to be gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// term SIGTERMs the process and returns how it exited.
func (p *proc) term(t *testing.T) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not exit within 20s of SIGTERM", p.name)
		return nil
	}
}

// metric is the sum of every sample of the metric called name on p's
// /metrics (0 when it has none).
func (p *proc) metric(name string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.addr+"/metrics", nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	sum := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || rest[0] != '{' && rest[0] != ' ' {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q: %w", p.name, line, err)
		}
		sum += v
	}
	return sum, nil
}

func (p *proc) mustMetric(t *testing.T, name string) float64 {
	t.Helper()
	v, err := p.metric(name)
	if err != nil {
		t.Fatalf("%s of %s: %v", name, p.name, err)
	}
	return v
}

// children are the commands (comm) of p's child processes.
func (p *proc) children() []string {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p.cmd.Process.Pid))
	var out []string
	for _, file := range files {
		b, _ := os.ReadFile(file)
		for _, pid := range strings.Fields(string(b)) {
			comm, _ := os.ReadFile("/proc/" + pid + "/comm")
			out = append(out, pid+":"+strings.TrimSpace(string(comm)))
		}
	}
	return out
}

// procLog keeps what a process prints, line by line, and closes ready at
// the first line holding marker.
type procLog struct {
	marker string
	ready  chan struct{}

	mu      sync.Mutex
	lines   []string
	partial []byte
	seen    bool
}

func (l *procLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.lines = append(l.lines, line)
		if !l.seen && strings.Contains(line, l.marker) {
			l.seen = true
			close(l.ready)
		}
	}
}

// tail is the last n lines.
func (l *procLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := append(l.lines[max(0, len(l.lines)-n):], string(l.partial))
	return strings.Join(lines, "\n")
}
