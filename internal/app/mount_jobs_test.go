package app_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/jobs"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/testutil/redistest"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// startApp serves an instance over dataDir with one job worker and extra
// settings (name, value, ...).
func startApp(t testing.TB, dataDir string, extra ...string) *apptest.Gateway {
	t.Helper()
	env := map[string]string{
		"GATEWAY_DATA_DIR":     dataDir,
		"GATEWAY_ADDR":         ":8080",
		"GATEWAY_JOBS_WORKERS": "1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return apptest.Start(t, env)
}

func TestFormatsEndpoint(t *testing.T) {
	base := startApp(t, t.TempDir()).URL
	req, _ := http.NewRequest("GET", base+"/v1/formats", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without token: %v %v", resp, err)
	}
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Formats []struct {
			Operation, Engine string
			Input             string `json:"input_format"`
			Output            string `json:"output_format"`
		} `json:"formats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, f := range body.Formats {
		has[f.Operation+" "+f.Input+" "+f.Output+" "+f.Engine] = true
	}
	for _, want := range []string{"convert png jpg imagego", "thumbnail jpg png imagego", "archive * tar.gz archive"} {
		if !has[want] {
			t.Errorf("formats lack %q", want)
		}
	}
}

// TestOutputsSharedAcrossInstances: an output URL made by one instance is
// served by another that shares the output directory: embedded instances
// read the secret kept in the data directory, Redis instances the one kept
// in Redis.
func TestOutputsSharedAcrossInstances(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		dir := t.TempDir()
		a := startApp(t, dir)
		st, err := os.Stat(filepath.Join(dir, outputs.SecretFile))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("secret file: %v %v", st, err)
		}
		first := exportOnce(t, a.App)
		a.Stop() // a second embedded instance needs the data directory's lock
		checkServed(t, startApp(t, dir).URL, first)
	})
	t.Run("redis", func(t *testing.T) {
		_, prefix := redistest.Client(t)
		shared := t.TempDir()
		settings := []string{"GATEWAY_REDIS_URL", redistest.URL(), "GATEWAY_REDIS_PREFIX", prefix,
			"GATEWAY_JOBS_OUTPUT_DIR", shared}
		a := startApp(t, t.TempDir(), settings...)
		b := startApp(t, t.TempDir(), settings...)
		checkServed(t, b.URL, exportOnce(t, a.App))
	})
}

// exportOnce runs a job exporting a small text file and returns its URL.
func exportOnce(t *testing.T, a *app.App) string {
	t.Helper()
	spec, err := jobspec.Decode([]byte(`{"tasks":{
		"in":{"operation":"import/raw","file":"shared","filename":"s.txt"},
		"out":{"operation":"export/url","input":"in"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	// Jobs go through Redis when it is configured: just after it came
	// back, a submit may be answered 503 for a moment (the breaker's probe
	// runs every 100 ms).
	var j *jobs.Handle
	deadline := time.Now().Add(2 * time.Second)
	for {
		j, err = a.Jobs.Submit(spec)
		if err == nil || server.AsError(err).Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	<-j.Done()
	u, ok := j.Status().RedirectURL()
	if !ok {
		t.Fatalf("%+v", j.Status())
	}
	return u
}

// checkServed asks the instance at base for the output path of u.
func checkServed(t *testing.T, base, u string) {
	t.Helper()
	resp, err := http.Get(base + u[strings.Index(u, "/outputs/"):])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "shared" {
		t.Errorf("other instance: %d %q", resp.StatusCode, b)
	}
}

// TestEdgeAndWorkerInstances: an edge (no workers) starts no engine and
// runs nothing; a worker instance runs its jobs and serves no admin or
// public route; the edge answers a job's status and lists the formats of
// the live workers, not those of one that left.
func TestEdgeAndWorkerInstances(t *testing.T) {
	_, prefix := redistest.Client(t)
	testEdgeAndWorker(t, map[string]string{"GATEWAY_REDIS_URL": redistest.URL(), "GATEWAY_REDIS_PREFIX": prefix})
}

// TestEdgeAndWorkerOnRedisCluster: the same on a three-node Redis Cluster,
// where the queue, the job states, the roster, the records and the result
// cache must never answer CROSSSLOT.
func TestEdgeAndWorkerOnRedisCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	testEdgeAndWorker(t, map[string]string{"GATEWAY_REDIS_URL": cluster.URL(), "GATEWAY_REDIS_MODE": "cluster",
		"GATEWAY_REDIS_PREFIX": redistest.Prefix(t, cluster.Client(t))})
}

func testEdgeAndWorker(t *testing.T, redis map[string]string) {
	env := map[string]string{"GATEWAY_JOBS_OUTPUT_DIR": t.TempDir(), "GATEWAY_JOBS_WORKERS": "0"}
	maps.Copy(env, redis)
	edge := apptest.Start(t, env)
	if f := edge.App.Engines.Formats(); len(f) != 0 {
		t.Fatalf("an edge has engines: %v", f)
	}
	if formats(t, edge)["convert png jpg imagego"] {
		t.Fatalf("an edge lists formats with no worker live")
	}
	env["GATEWAY_JOBS_WORKERS"] = "1"
	worker := apptest.Start(t, env, app.AsWorker())

	u := exportOnce(t, edge.App)
	checkServed(t, edge.URL, u)
	if edge.App.Jobs.Started() != 0 || worker.App.Jobs.Started() != 1 {
		t.Errorf("started: edge %d, worker %d", edge.App.Jobs.Started(), worker.App.Jobs.Started())
	}
	if !formats(t, edge)["convert png jpg imagego"] {
		t.Errorf("the edge does not list the worker's formats")
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/v1/formats": 404, "/outputs/x/y": 404} {
		resp, err := http.Get(worker.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("worker %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// A signed link with a cache_key: run by the worker, then a hit.
	const secret = "edge-worker-test-secret-0123456789"
	if code := edge.Admin(t, "POST", "/v1/signed-url-bases", `{"id":"ew","base":"`+edge.URL+`/ew","signing_secret":"`+secret+`"}`, nil); code != 201 {
		t.Fatalf("create base: %d", code)
	}
	link := urlsig.Sign(edge.URL+"/ew", secret, []byte(`{"tasks":{
		"in":{"operation":"import/raw","file":"link","filename":"l.txt"},
		"out":{"operation":"export/url","input":"in"}}}`), "k1")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []string{"miss", "hit"} {
		resp, err := client.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("X-Cache") != want {
			t.Errorf("request %d: %d X-Cache %q, want 302 %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), want)
		}
	}
	if worker.App.Jobs.Started() != 2 {
		t.Errorf("the worker began %d jobs, want 2", worker.App.Jobs.Started())
	}
	worker.Stop()
	if formats(t, edge)["convert png jpg imagego"] {
		t.Errorf("the edge lists the formats of a worker that left")
	}
}

func TestJobStatusEndpoint(t *testing.T) {
	g := startApp(t, t.TempDir())
	spec, err := jobspec.Decode([]byte(`{"tag":"t1","tasks":{
		"in":{"operation":"import/raw","file":"x","filename":"s.txt"},
		"out":{"operation":"export/url","input":"in"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	j, err := g.App.Jobs.Submit(spec)
	if err != nil {
		t.Fatal(err)
	}
	<-j.Done()
	var body struct {
		Data struct{ ID, Tag, Status string } `json:"data"`
	}
	if code := g.Admin(t, "GET", "/v1/jobs/"+j.ID(), nil, &body); code != 200 ||
		body.Data.ID != j.ID() || body.Data.Tag != "t1" || body.Data.Status != "finished" {
		t.Errorf("status: %d %+v", code, body)
	}
	var refusal struct{ Code string }
	if code := g.Admin(t, "GET", "/v1/jobs/nope", nil, &refusal); code != 404 || refusal.Code != "NOT_FOUND" {
		t.Errorf("unknown job: %d %+v", code, refusal)
	}
}

// formats is GET /v1/formats as "operation input output engine" keys.
func formats(t *testing.T, g *apptest.Gateway) map[string]bool {
	t.Helper()
	var body struct {
		Formats []struct {
			Operation, Engine string
			Input             string `json:"input_format"`
			Output            string `json:"output_format"`
		} `json:"formats"`
	}
	if code := g.Admin(t, "GET", "/v1/formats", nil, &body); code != 200 {
		t.Fatalf("formats: %d", code)
	}
	has := map[string]bool{}
	for _, f := range body.Formats {
		has[f.Operation+" "+f.Input+" "+f.Output+" "+f.Engine] = true
	}
	return has
}

// TestMissingEngineFailsAtOnce: in one process, a job that needs an engine
// this machine lacks fails at once, naming the package, instead of waiting
// on the queue for a worker that will never come.
func TestMissingEngineFailsAtOnce(t *testing.T) {
	g := startApp(t, t.TempDir(), "GATEWAY_ENGINES_CHROME_CHROMIUM", "/nonexistent/chromium")
	spec, err := jobspec.Decode([]byte(`{"tasks":{
		"in":{"operation":"import/raw","file":"<p>hi</p>","filename":"a.html"},
		"c":{"operation":"convert","input":"in","output_format":"png","engine":"chromium"},
		"out":{"operation":"export/url","input":"c"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	j, err := g.App.Jobs.Submit(spec)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-j.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("the job waits: %+v", j.Status())
	}
	c := j.Status().Tasks[1]
	if c.Code == nil || *c.Code != "UNSUPPORTED_CONVERSION" || !strings.Contains(*c.Message, "Debian package chromium") {
		t.Errorf("convert task: %+v", c)
	}
}
