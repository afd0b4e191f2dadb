package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/testutil/redistest"
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
	j, err := a.Jobs.Submit(spec)
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
