package signedurl_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/signedgate/gateway/internal/app/apptest"
)

// gateway is a whole instance built by app.New and served on a real
// loopback listener.
type gateway struct{ *apptest.Gateway }

// startGateway runs an instance with env added to a test configuration
// that allows fetches from loopback addresses: the test origins listen
// there.
func startGateway(t *testing.T, env map[string]string) gateway {
	t.Helper()
	vars := map[string]string{"GATEWAY_FETCH_ALLOW_CIDRS": "127.0.0.1/32"}
	maps.Copy(vars, env)
	return gateway{apptest.Start(t, vars)}
}

// createBase registers a base through the admin API.
func (g gateway) createBase(t *testing.T, req map[string]string) (base, secret string) {
	t.Helper()
	var out struct {
		B struct {
			Base   string `json:"base"`
			Secret string `json:"signing_secret"`
		} `json:"signed_url_base"`
	}
	if code := g.Admin(t, "POST", "/v1/signed-url-bases", req, &out); code != http.StatusCreated {
		t.Fatalf("create base: %d", code)
	}
	return out.B.Base, out.B.Secret
}

// origin serves a PNG and counts the fetches: each job imports it once,
// so the count is the number of jobs that ran, on any instance.
type origin struct {
	*httptest.Server
	fetches atomic.Int32
	// gate, when set, holds every fetch until it is closed.
	gate chan struct{}
}

func newOrigin(t *testing.T, w, h int, gate chan struct{}) *origin {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	o := &origin{gate: gate}
	o.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		o.fetches.Add(1)
		if o.gate != nil {
			select {
			case <-o.gate:
			case <-r.Context().Done():
				return
			}
		}
		rw.Header().Set("Content-Type", "image/png")
		rw.Write(buf.Bytes())
	}))
	t.Cleanup(o.Close)
	return o
}

// convertJob imports the origin's PNG, converts it to a w x h JPEG and
// exports it. The tag is there to be varied.
func convertJob(originURL, tag string, w, h int) map[string]any {
	return map[string]any{
		"tag": tag,
		"tasks": map[string]any{
			"import-it":  map[string]any{"operation": "import/url", "url": originURL + "/in.png"},
			"convert-it": map[string]any{"operation": "convert", "input": "import-it", "output_format": "jpg", "width": w, "height": h, "fit": "scale"},
			"export-it":  map[string]any{"operation": "export/url", "input": "convert-it"},
		},
	}
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type reply struct {
	status   int
	location string
	jobID    string
	body     []byte
}

func fetch(t testing.TB, url string) reply {
	resp, err := noRedirect.Get(url)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("X-Job-Id"), body}
}

// checkOutput fetches an output URL and checks it is a JPEG of w x h.
func checkOutput(t *testing.T, location string, w, h int) {
	t.Helper()
	resp, err := http.Get(location)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", location, resp.StatusCode, body)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if format != "jpeg" || cfg.Width != w || cfg.Height != h {
		t.Errorf("output is %s %dx%d, want jpeg %dx%d", format, cfg.Width, cfg.Height, w, h)
	}
}

func (s reply) String() string { return fmt.Sprintf("%d %s %s", s.status, s.location, s.body) }
