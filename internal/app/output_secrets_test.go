package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// TestOutputSecretsSurviveRedisLoss: Redis is killed and comes back empty
// while two instances run; a third starts on the empty Redis and makes a
// secret of its own. Within a few seconds, and without restarting the first
// two, output URLs made by either side are served by the other.
func TestOutputSecretsSurviveRedisLoss(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	shared := t.TempDir()
	settings := []string{"GATEWAY_REDIS_URL", srv.URL(), "GATEWAY_JOBS_OUTPUT_DIR", shared}
	a := startApp(t, t.TempDir(), settings...)
	b := startApp(t, t.TempDir(), settings...)
	before := exportOnce(t, a.App)
	if code := outputStatus(t, b, before); code != http.StatusOK {
		t.Fatalf("before the loss, the second instance answers %d", code)
	}

	srv.Kill()
	srv.Start() // empty: no append-only file

	c := startApp(t, t.TempDir(), settings...)
	fromNew := exportOnce(t, c.App)
	fromOld := exportOnce(t, b.App)
	// Background refreshes run every outputs.DefaultSecretsRefresh; a miss
	// refreshes at once.
	within := 3 * outputs.DefaultSecretsRefresh
	for _, tt := range []struct {
		what string
		g    *apptest.Gateway
		url  string
	}{
		{"the new instance serves a URL made before the loss", c, before},
		{"the new instance serves a URL an old instance made after the loss", c, fromOld},
		{"an old instance serves the new instance's URL", a, fromNew},
		{"the other old instance serves the new instance's URL", b, fromNew},
		{"the old instances still serve each other's URLs", b, before},
	} {
		last := 0
		took := testutil.Within(t, within, tt.what, func() bool {
			code := outputStatus(t, tt.g, tt.url)
			if code != last && code != http.StatusOK {
				t.Logf("%s: %d", tt.what, code)
			}
			last = code
			return code == http.StatusOK
		})
		t.Logf("%s after %v", tt.what, took.Round(time.Millisecond))
	}
	// And what the old instances make from now on, the new one serves.
	if code := outputStatus(t, c, exportOnce(t, a.App)); code != http.StatusOK {
		t.Errorf("the new instance answers %d to a fresh URL of an old one", code)
	}
}

// outputStatus asks g for the output path of u and returns the status.
func outputStatus(t *testing.T, g *apptest.Gateway, u string) int {
	t.Helper()
	resp, err := http.Get(g.URL + u[strings.Index(u, "/outputs/"):])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
