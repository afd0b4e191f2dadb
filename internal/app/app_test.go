package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// instance is a gateway configured as the binary is by default (address,
// public URL, generated admin token), served on a loopback port.
type instance struct{ *apptest.Gateway }

func start(t *testing.T, env map[string]string) instance {
	t.Helper()
	vars := map[string]string{"GATEWAY_ADDR": ":8080", "GATEWAY_PUBLIC_URL": "", "GATEWAY_ADMIN_TOKEN": ""}
	maps.Copy(vars, env)
	return instance{apptest.Start(t, vars)}
}

// do calls the admin API with a raw body; the answer must be JSON.
func (in instance) do(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	var out map[string]any
	return in.Admin(t, method, path, b, &out), out
}

func TestBucketAPI(t *testing.T) {
	media := t.TempDir()
	in := start(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})

	code, body := in.do(t, "PUT", "/v1/buckets/films", `{"origin":"file://`+media+`"}`)
	if code != 201 {
		t.Fatalf("create: got %d %v", code, body)
	}
	b := body["bucket"].(map[string]any)
	if b["name"] != "films" || b["policy"] != "public" || b["origin"] != "file://"+media {
		t.Fatalf("created bucket: got %v", b)
	}
	code, body = in.do(t, "PUT", "/v1/buckets/films/policy/authenticated", "")
	if code != 200 || body["status"] != "ok" {
		t.Fatalf("policy: got %d %v", code, body)
	}
	code, body = in.do(t, "PUT", "/v1/buckets/films", `{"origin":"https://cdn.example.com/films/"}`)
	if code != 200 {
		t.Fatalf("replace: got %d %v", code, body)
	}
	b = body["bucket"].(map[string]any)
	if b["policy"] != "authenticated" || b["origin"] != "https://cdn.example.com/films" {
		t.Fatalf("replacing the origin must keep the policy: got %v", b)
	}
	code, body = in.do(t, "GET", "/v1/buckets", "")
	if code != 200 || len(body["buckets"].([]any)) != 1 {
		t.Fatalf("list: got %d %v", code, body)
	}
	code, _ = in.do(t, "GET", "/v1/buckets/films", "")
	if code != 200 {
		t.Fatalf("get: got %d", code)
	}
	code, body = in.do(t, "DELETE", "/v1/buckets/films", "")
	if code != 200 || body["status"] != "ok" {
		t.Fatalf("delete: got %d %v", code, body)
	}
	code, body = in.do(t, "GET", "/v1/buckets/films", "")
	if code != 404 || body["code"] != "NOT_FOUND" {
		t.Fatalf("get deleted: got %d %v", code, body)
	}
}

func TestBucketAPIRefusesBadInput(t *testing.T) {
	media := t.TempDir()
	in := start(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})
	file := filepath.Join(media, "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, mentions           string
	}{
		{"bad name", "PUT", "/v1/buckets/Bad_Name", `{"origin":"file://` + media + `"}`, 400, "INVALID_DATA", "Bad_Name"},
		{"too long name", "PUT", "/v1/buckets/" + strings.Repeat("a", 64), `{"origin":"file://` + media + `"}`, 400, "INVALID_DATA", "invalid"},
		{"no origin", "PUT", "/v1/buckets/ok", `{}`, 400, "INVALID_DATA", "origin is required"},
		{"relative dir", "PUT", "/v1/buckets/ok", `{"origin":"file://relative/dir"}`, 400, "INVALID_DATA", "local directory"},
		{"missing dir", "PUT", "/v1/buckets/ok", `{"origin":"file:///does/not/exist"}`, 400, "INVALID_DATA", "not an existing directory"},
		{"file not dir", "PUT", "/v1/buckets/ok", `{"origin":"file://` + file + `"}`, 400, "INVALID_DATA", "not an existing directory"},
		{"ftp origin", "PUT", "/v1/buckets/ok", `{"origin":"ftp://host/x"}`, 400, "INVALID_DATA", "scheme"},
		{"http without host", "PUT", "/v1/buckets/ok", `{"origin":"http:///x"}`, 400, "INVALID_DATA", "host"},
		{"credentials", "PUT", "/v1/buckets/ok", `{"origin":"https://u:p@host/x"}`, 400, "INVALID_DATA", "credentials"},
		{"bad policy", "PUT", "/v1/buckets/ok", `{"origin":"file://` + media + `","policy":"open"}`, 400, "INVALID_DATA", "policy"},
		{"bad JSON", "PUT", "/v1/buckets/ok", `{"origin":`, 400, "INVALID_JSON", "JSON"},
		{"unknown field", "PUT", "/v1/buckets/ok", `{"orign":"file:///tmp"}`, 400, "INVALID_JSON", "orign"},
		{"wrong type", "PUT", "/v1/buckets/ok", `{"origin":42}`, 400, "INVALID_JSON", "origin"},
		{"two values", "PUT", "/v1/buckets/ok", `{"origin":"file:///tmp"}{}`, 400, "INVALID_JSON", "more than one"},
		{"empty body", "PUT", "/v1/buckets/ok", ``, 400, "INVALID_JSON", "empty"},
		{"huge body", "PUT", "/v1/buckets/ok", `{"origin":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "PAYLOAD_TOO_LARGE", "larger"},
		{"policy of missing bucket", "PUT", "/v1/buckets/nope/policy/public", ``, 404, "NOT_FOUND", "nope"},
		{"unknown policy word", "PUT", "/v1/buckets/nope/policy/secret", ``, 400, "INVALID_DATA", "policy"},
		{"delete missing", "DELETE", "/v1/buckets/nope", ``, 404, "NOT_FOUND", "nope"},
		{"wrong method", "POST", "/v1/buckets", ``, 405, "METHOD_NOT_ALLOWED", "POST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := in.do(t, tc.method, tc.path, tc.body)
			if code != tc.status || body["code"] != tc.code {
				t.Fatalf("got %d %v, want %d %s", code, body, tc.status, tc.code)
			}
			if msg, _ := body["message"].(string); !strings.Contains(msg, tc.mentions) {
				t.Fatalf("message %q does not mention %q", msg, tc.mentions)
			}
		})
	}
}

func TestAdminTokenIsRequired(t *testing.T) {
	in := start(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})
	for _, auth := range []string{"", "Bearer", "Bearer wrong-token-wrong-token", "Basic " + in.Token, in.Token} {
		req, _ := http.NewRequest("GET", in.URL+"/v1/buckets", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 401 || body["code"] != "UNAUTHORIZED" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: got %d %v", auth, resp.StatusCode, body)
		}
		if strings.Contains(body["message"], in.Token) {
			t.Errorf("the token leaked into a response")
		}
	}
}

func TestEmbeddedStateSurvivesRestart(t *testing.T) {
	data, media := t.TempDir(), t.TempDir()
	env := map[string]string{"GATEWAY_DATA_DIR": data}
	first := start(t, env)
	if code, body := first.do(t, "PUT", "/v1/buckets/keep", `{"origin":"file://`+media+`","policy":"authenticated"}`); code != 201 {
		t.Fatalf("create: %d %v", code, body)
	}
	token := first.Token
	first.Stop()

	tokenFile, err := os.ReadFile(filepath.Join(data, app.AdminTokenFile))
	if err != nil || strings.TrimSpace(string(tokenFile)) != token {
		t.Fatalf("admin token file: %q, %v", tokenFile, err)
	}
	if st, _ := os.Stat(filepath.Join(data, app.AdminTokenFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file mode: got %v, want 0600", st.Mode().Perm())
	}
	second := start(t, env)
	if second.Token != token {
		t.Fatal("the admin token changed across a restart")
	}
	code, body := second.do(t, "GET", "/v1/buckets/keep", "")
	if code != 200 || body["bucket"].(map[string]any)["policy"] != "authenticated" {
		t.Fatalf("after restart: got %d %v", code, body)
	}
}

func TestTwoInstancesOnOneRedisSeeEachOtherWithinOneSecond(t *testing.T) {
	_, prefix := redistest.Client(t)
	media := t.TempDir()
	env := map[string]string{
		"GATEWAY_REDIS_URL":    redistest.URL(),
		"GATEWAY_REDIS_PREFIX": prefix,
		"GATEWAY_ADMIN_TOKEN":  "shared-admin-token-0123456789",
		"GATEWAY_DATA_DIR":     t.TempDir(),
	}
	a := start(t, env)
	b := start(t, env)

	// b has read the (empty) list first, so it holds a cached view that a's
	// writes must invalidate.
	if code, body := b.do(t, "GET", "/v1/buckets", ""); code != 200 || len(body["buckets"].([]any)) != 0 {
		t.Fatalf("b list: %d %v", code, body)
	}
	if code, _ := b.do(t, "GET", "/v1/buckets/shared", ""); code != 404 {
		t.Fatalf("b get before create: %d", code)
	}
	if code, body := a.do(t, "PUT", "/v1/buckets/shared", `{"origin":"file://`+media+`"}`); code != 201 {
		t.Fatalf("a create: %d %v", code, body)
	}
	testutil.Eventually(t, time.Second, "create on a seen by b", func() bool {
		code, _ := b.do(t, "GET", "/v1/buckets/shared", "")
		return code == 200
	})
	if code, _ := a.do(t, "PUT", "/v1/buckets/shared/policy/authenticated", ""); code != 200 {
		t.Fatal("a policy")
	}
	testutil.Eventually(t, time.Second, "policy change on a seen by b", func() bool {
		_, body := b.do(t, "GET", "/v1/buckets/shared", "")
		bk, _ := body["bucket"].(map[string]any)
		return bk != nil && bk["policy"] == "authenticated"
	})
	if code, _ := b.do(t, "DELETE", "/v1/buckets/shared", ""); code != 200 {
		t.Fatal("b delete")
	}
	testutil.Eventually(t, time.Second, "delete on b seen by a", func() bool {
		code, _ := a.do(t, "GET", "/v1/buckets/shared", "")
		return code == 404
	})
	// Readiness reports the shared store.
	resp, err := http.Get(a.URL + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// GATEWAY_ACCESS_LOG_SAMPLE reaches the access log: at 0, a success gets
// no line and an error does.
func TestAccessLogSampleIsApplied(t *testing.T) {
	cfg, err := config.LoadFrom(map[string]string{
		"GATEWAY_DATA_DIR":          t.TempDir(),
		"GATEWAY_ADMIN_TOKEN":       apptest.AdminToken,
		"GATEWAY_ACCESS_LOG_SAMPLE": "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs testutil.LogBuffer // the instance's goroutines may log too
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, path := range []string{"/healthz", "/nothing/here"} {
		a.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	if got := logs.String(); strings.Contains(got, `"path":"/healthz"`) || !strings.Contains(got, `"path":"/nothing/here"`) {
		t.Errorf("want the 404 logged and not the 200:\n%s", got)
	}
}
