package jobs

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/signedgate/gateway/internal/fetch"
)

// TestImageGraphEndToEnd: import a generated PNG, convert it to jpg, make a
// thumbnail, export it, and fetch the output URL over real HTTP.
func TestImageGraphEndToEnd(t *testing.T) {
	img := pngBytes(t, 64, 48)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="from-origin.png"`)
		w.Write(img)
	}))
	defer origin.Close()
	h := newHarness(t, harnessOpts{policy: fetch.Policy{
		// The origin listens on loopback; only this test lets the fetcher in.
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}})

	imports := map[string]string{
		"base64": `{"operation":"import/base64","file":` + js(b64(img)) + `,"filename":"in.png"}`,
		"url":    `{"operation":"import/url","url":` + js(origin.URL+"/x") + `}`,
	}
	for name, imp := range imports {
		t.Run(name, func(t *testing.T) {
			s := h.run(t, `{"tag":"t1","tasks":{
				"in":`+imp+`,
				"jpg":{"operation":"convert","input":"in","output_format":"jpg"},
				"thumb":{"operation":"thumbnail","input":["jpg"],"output_format":"jpg","width":16,"height":16},
				"out":{"operation":"export/url","input":"thumb"}}}`)
			if s.Status != StatusFinished || s.Failed() {
				t.Fatalf("job status %q: %+v", s.Status, s)
			}
			if s.Tag != "t1" || s.StartedAt == nil || s.EndedAt == nil {
				t.Errorf("tag %q started %v ended %v", s.Tag, s.StartedAt, s.EndedAt)
			}
			if eng := taskByName(t, s, "thumb").Engine; eng == nil || *eng != "imagego" {
				t.Errorf("thumbnail engine = %v, want imagego", eng)
			}
			url, ok := s.RedirectURL()
			if !ok {
				t.Fatalf("no redirect URL in %+v", s)
			}
			resp, body := get(t, url)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET output: %d %s", resp.StatusCode, body)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("decode output: %v", err)
			}
			if format != "jpeg" || cfg.Width != 16 || cfg.Height != 12 {
				t.Errorf("output is %s %dx%d, want jpeg 16x12", format, cfg.Width, cfg.Height)
			}
			if got := resp.Header.Get("Content-Type"); got != "image/jpeg" {
				t.Errorf("Content-Type = %q", got)
			}
			stem := "in"
			if name == "url" {
				stem = "from-origin"
			}
			if got, want := resp.Header.Get("Content-Disposition"), `attachment; filename="`+stem+`.jpg"`; got != want {
				t.Errorf("Content-Disposition = %q, want %q", got, want)
			}
			if resp.Header.Get("Content-Security-Policy") != "sandbox" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("missing sandbox headers: %v", resp.Header)
			}
			h.checkWorkDirEmpty(t)
			out := taskByName(t, s, "out")
			if f := out.Result.Files[0]; f.Size != int64(len(body)) || f.Filename != stem+".jpg" {
				t.Errorf("result file %+v, body %d bytes", f, len(body))
			}
		})
	}
	if got := h.jobsMetric(t, "thumbnail", "finished"); got != 2 {
		t.Errorf("gateway_jobs_total{thumbnail,finished} = %v, want 2", got)
	}
	if got := h.svc.Started(); got != 2 {
		t.Errorf("Started() = %d, want 2", got)
	}
}
