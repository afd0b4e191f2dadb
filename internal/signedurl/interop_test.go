package signedurl_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/testutil"
)

// needNodeSDK ends the test with testutil.MissingTool where node or the
// cloudconvert SDK is missing.
func needNodeSDK(t *testing.T) {
	t.Helper()
	testutil.NeedProgram(t, "node")
	testutil.NeedFile(t, filepath.Join("interop", "node_modules", "cloudconvert"),
		"the cloudconvert SDK (interop/node_modules/cloudconvert)", "npm ci --prefix internal/signedurl/interop")
}

type signRequest struct {
	Base     string         `json:"base"`
	Secret   string         `json:"secret"`
	Job      map[string]any `json:"job"`
	CacheKey string         `json:"cache_key,omitempty"`
}

// nodeSign signs reqs with the official SDK.
func nodeSign(t *testing.T, reqs []signRequest) []string {
	t.Helper()
	in, _ := json.Marshal(reqs)
	cmd := exec.Command("node", "sign.js")
	cmd.Dir = "interop"
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node sign.js: %v: %s", err, stderr.String())
	}
	var urls []string
	if err := json.Unmarshal(out, &urls); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	return urls
}

// mixedTag makes the job's standard base64 hold several "+" and "/", so
// the Node SDK, which URL-safes only the first of each, leaves a mixed
// alphabet (checked below, so the case cannot pass vacuously).
const mixedTag = "???>>>~~~???>>>~~~???>>>~~~"

func TestNodeSDKInterop(t *testing.T) {
	needNodeSDK(t)
	g := startGateway(t, nil)
	o := newOrigin(t, 64, 48, nil)
	base, secret := g.createBase(t, map[string]string{"name": "interop"})
	tests := []struct {
		name     string
		tag      string
		cacheKey string
		w, h     int
	}{
		{"with cache_key", "plain", "interop-1", 32, 24},
		{"without cache_key", "plain", "", 20, 10},
		{"mixed base64 alphabet", mixedTag, "mixed", 16, 16},
	}
	reqs := make([]signRequest, len(tests))
	for i, tt := range tests {
		reqs[i] = signRequest{Base: base, Secret: secret, Job: convertJob(o.URL, tt.tag, tt.w, tt.h), CacheKey: tt.cacheKey}
	}
	urls := nodeSign(t, reqs)
	mixedSeen := false
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := urls[i]
			if !strings.HasPrefix(u, base+"?job=") {
				t.Fatalf("SDK URL %q does not start with the base", u)
			}
			job := strings.SplitN(strings.SplitN(u, "job=", 2)[1], "&", 2)[0]
			if strings.ContainsAny(job, "-_") && strings.ContainsAny(job, "+/") {
				mixedSeen = true
			}
			r := fetch(t, u)
			if r.status != http.StatusFound || r.location == "" {
				t.Fatalf("GET %s: %v", u, r)
			}
			checkOutput(t, r.location, tt.w, tt.h)
			if tt.cacheKey != "" {
				again := fetch(t, u)
				if again.status != http.StatusFound || again.location != r.location {
					t.Errorf("second request: %v, want the cached %s", again, r.location)
				}
			}
		})
	}
	if !mixedSeen {
		t.Error("no SDK URL had a mixed base64 alphabet; the mixed case tested nothing")
	}
	// One fetch per URL: the repeated requests of cached URLs ran nothing.
	if got := o.fetches.Load(); got != int32(len(tests)) {
		t.Errorf("origin fetched %d times, want %d (one per job)", got, len(tests))
	}
}
