package browsertest

import (
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// startPages serves testPages (the blank page and hls.js) from another
// origin than the gateway's, and returns its base URL. The host is
// "localhost" where the gateway is "127.0.0.1": another origin and
// another site, as a customer's player page is, so the browser applies
// CORS and sends no SameSite=Lax cookie.
func startPages(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(testPages())
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// hlsStream makes an HLS stream of seconds seconds in 2-second segments
// under media/shows/one and returns the segment names.
func hlsStream(t *testing.T, media string, seconds int) []string {
	t.Helper()
	dir := filepath.Join(media, "shows", "one")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ffmpeg(t, dir, "-f", "lavfi", "-i", fmt.Sprintf("testsrc=duration=%d:size=320x240:rate=25", seconds),
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50",
		"-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
		"-hls_segment_filename", "seg%d.ts", "index.m3u8")
	segments, err := filepath.Glob(filepath.Join(dir, "seg*.ts"))
	if err != nil || len(segments) < seconds/2 {
		t.Fatalf("ffmpeg made segments %v (%v), want %d", segments, err, seconds/2)
	}
	for i, s := range segments {
		segments[i] = filepath.Base(s)
	}
	return segments
}

// TestPlayHLSFromAnotherOrigin plays an HLS stream of an authenticated
// bucket with hls.js in a page of another origin, which the bucket's CORS
// rule lists, and seeks into its second half. The playlist's token
// reaches the segments through the rewritten playlist: the browser sends
// no cookie across sites. With allow_credentials, hls.js's requests carry
// credentials, which the browser accepts only with the credentials grant.
func TestPlayHLSFromAnotherOrigin(t *testing.T) {
	chromium := requireTools(t)
	media := t.TempDir()
	segments := hlsStream(t, media, 12)
	pages := startPages(t)

	for _, credentials := range []bool{false, true} {
		t.Run(fmt.Sprintf("credentials %v", credentials), func(t *testing.T) {
			g := startGateway(t, testPages(), nil)
			sign := g.authenticatedBucketWith(t, "media", media, map[string]any{
				"cors": map[string]any{"allowed_origins": []string{pages}, "allow_credentials": credentials},
			})
			prefix := "/media/media/shows/one/"
			const seekTo = 9.0
			res := playOn(t, chromium, pages, map[string]any{
				"scenario": "hls.js-seek", "seekTo": seekTo, "withCredentials": credentials,
				"src": g.URL + prefix + "index.m3u8?auth=" + url.QueryEscape(sign("/shows/one/")),
			})
			t.Logf("player: %+v", res)
			if res.PageOrigin != pages || strings.HasPrefix(g.URL, pages) {
				t.Fatalf("the page's origin %q is the gateway's %q", res.PageOrigin, g.URL)
			}
			if res.Error != "" || res.MediaError != "" {
				t.Fatalf("playback failed: %s %s", res.Error, res.MediaError)
			}
			if res.CurrentTime <= seekTo {
				t.Errorf("currentTime %.2f, want past the seek point %.1f", res.CurrentTime, seekTo)
			}
			loaded := map[string]bool{}
			for _, s := range g.requests(prefix) {
				name := strings.TrimPrefix(s.Path, prefix)
				if s.Origin != pages {
					t.Errorf("%s %s: Origin %q, want the page's %q", s.Method, name, s.Origin, pages)
				}
				if s.HasCookie {
					t.Errorf("%s: a cookie crossed sites", name)
				}
				if s.Status != 200 && s.Status != 206 {
					t.Errorf("%s %s answered %d", s.Method, name, s.Status)
				}
				if strings.HasSuffix(name, ".ts") && s.HasAuth {
					loaded[name] = true
				}
			}
			// The segment holding the seek point, 9 s in 2 s segments.
			if want := segments[4]; !loaded[want] {
				t.Errorf("segment %s (the seek point) was not loaded with its token; loaded %v", want, loaded)
			}
		})
	}
}

// TestPlayMP4CrossOrigin plays an mp4 of an authenticated bucket in a
// <video crossorigin> of a page of another origin, with a seek (so through
// Range requests), and reads a frame back from a canvas, which the
// browser allows only for media the CORS grant covers.
func TestPlayMP4CrossOrigin(t *testing.T) {
	chromium := requireTools(t)
	media := t.TempDir()
	films := filepath.Join(media, "films")
	if err := os.MkdirAll(films, 0o755); err != nil {
		t.Fatal(err)
	}
	ffmpeg(t, films, "-f", "lavfi", "-i", "testsrc=duration=12:size=320x240:rate=25",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "a.mp4")
	pages := startPages(t)
	g := startGateway(t, testPages(), nil)
	sign := g.authenticatedBucketWith(t, "media", media, map[string]any{"cors": map[string]any{"allowed_origins": []string{pages}}})

	const seekTo = 8.0
	res := playOn(t, chromium, pages, map[string]any{
		"scenario": "mp4-seek", "seekTo": seekTo, "crossOrigin": "anonymous",
		"src": g.URL + "/media/media/films/a.mp4?auth=" + url.QueryEscape(sign("/films/")),
	})
	t.Logf("player: %+v", res)
	if res.Error != "" || res.MediaError != "" {
		t.Fatalf("playback failed: %s %s", res.Error, res.MediaError)
	}
	if res.CurrentTime <= seekTo {
		t.Errorf("currentTime %.2f, want past the seek point %.1f", res.CurrentTime, seekTo)
	}
	if res.CanvasReadable != "yes" {
		t.Errorf("canvas readable: %q, want yes (the video is CORS-granted)", res.CanvasReadable)
	}
	reqs := g.requests("/media/media/films/a.mp4")
	if len(reqs) == 0 {
		t.Fatal("the gateway saw no request for the film")
	}
	for _, s := range reqs {
		if s.Origin != pages || (s.Status != 200 && s.Status != 206) {
			t.Errorf("request %+v: want Origin %q and 200 or 206", s, pages)
		}
	}
}

// TestCrossOriginRefusedByTheBrowser: a page whose origin the bucket's
// rule does not list gets the gateway's answers without a grant, and the
// browser keeps them from the page: hls.js reports a network error,
// <video crossorigin> a media error, fetch() a TypeError, and Chromium
// says why in the console.
func TestCrossOriginRefusedByTheBrowser(t *testing.T) {
	chromium := requireTools(t)
	media := t.TempDir()
	hlsStream(t, media, 4)
	ffmpeg(t, filepath.Join(media, "shows", "one"), "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=25",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "a.mp4")
	listed := startPages(t)
	stranger := startPages(t)
	g := startGateway(t, testPages(), nil)
	sign := g.authenticatedBucketWith(t, "media", media, map[string]any{"cors": map[string]any{"allowed_origins": []string{listed}}})
	src := g.URL + "/media/media/shows/one/index.m3u8?auth=" + url.QueryEscape(sign("/shows/one/"))

	for _, tc := range []struct {
		scenario string
		spec     map[string]any
		error    string // what the page reports
	}{
		{"hls.js", map[string]any{"scenario": "hls.js"}, "hls.js: networkError manifestLoadError"},
		{"video crossorigin", map[string]any{"scenario": "mp4-seek", "seekTo": 1, "crossOrigin": "anonymous",
			"src": g.URL + "/media/media/shows/one/a.mp4?auth=" + url.QueryEscape(sign("/shows/one/"))}, "media error"},
		{"fetch", map[string]any{"scenario": "fetch"}, "fetch: TypeError: Failed to fetch"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			spec := map[string]any{"src": src}
			for k, v := range tc.spec {
				spec[k] = v
			}
			res := playOn(t, chromium, stranger, spec)
			t.Logf("page: %+v", res)
			if res.Error != tc.error {
				t.Errorf("page reports %q, want %q", res.Error, tc.error)
			}
			if !strings.Contains(strings.Join(res.Console, "\n"), "has been blocked by CORS policy") {
				t.Errorf("no CORS refusal in the console: %q", res.Console)
			}
		})
	}
	// The gateway answered; the browser refused.
	for _, s := range g.requests("/media/media/") {
		if s.Origin != stranger || (s.Status != 200 && s.Status != 206) {
			t.Errorf("request %+v: want Origin %q and 200 or 206", s, stranger)
		}
	}
}

// TestFetchConversionLinkFromAnotherOrigin: a page of an origin that a
// signed-URL base lists fetch()es one of its links; the browser follows
// the redirect to the output and hands the page its bytes. A page of
// another origin is refused.
func TestFetchConversionLinkFromAnotherOrigin(t *testing.T) {
	chromium := requireTools(t)
	pages := startPages(t)
	stranger := startPages(t)
	g := startGateway(t, testPages(), nil)
	const secret = "browser-secret-0123456789"
	g.admin(t, "POST", "/v1/signed-url-bases", map[string]any{"id": "conv", "signing_secret": secret,
		"cors": map[string]any{"allowed_origins": []string{pages}}}, nil)
	job := fmt.Sprintf(`{"tasks":{"in":{"operation":"import/base64","file":%q,"filename":"a.txt"},"out":{"operation":"export/url","input":"in","inline":true}}}`,
		base64.StdEncoding.EncodeToString([]byte("converted bytes")))
	link := urlsig.Sign(g.URL+"/conv", secret, []byte(job), "k1")

	res := playOn(t, chromium, pages, map[string]any{"scenario": "fetch", "src": link})
	t.Logf("page: %+v", res)
	if res.Error != "" || res.Status != 200 || res.Body != "converted bytes" || !res.Redirected {
		t.Errorf("fetch from a listed origin: %+v, want 200 \"converted bytes\" after a redirect", res)
	}
	res = playOn(t, chromium, stranger, map[string]any{"scenario": "fetch", "src": link})
	if res.Error != "fetch: TypeError: Failed to fetch" {
		t.Errorf("fetch from another origin: %+v, want a TypeError", res)
	}
}
