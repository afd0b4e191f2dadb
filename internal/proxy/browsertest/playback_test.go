package browsertest

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// result is what interop/play.mjs reports.
type result struct {
	CurrentTime float64 `json:"currentTime"`
	Duration    float64 `json:"duration"`
	Ended       bool    `json:"ended"`
	Error       string  `json:"error"`
	MediaError  string  `json:"mediaError"`
	CanPlayH264 string  `json:"canPlayH264"`
	CanPlayHLS  string  `json:"canPlayHLS"`
	// CanvasReadable is "yes" when a frame drawn into a canvas could be
	// read back: the media was granted by CORS (or same-origin).
	CanvasReadable string `json:"canvasReadable"`
	// Status and Body are a fetch's (scenario "fetch").
	Status     int      `json:"status"`
	Body       string   `json:"body"`
	Redirected bool     `json:"redirected"`
	PageOrigin string   `json:"pageOrigin"`
	Console    []string `json:"console"`
}

// play runs a scenario in a page of the gateway's own origin.
func play(t *testing.T, chromium string, g *gateway, scenario, src string, seekTo float64) result {
	t.Helper()
	return playOn(t, chromium, g.URL, map[string]any{"scenario": scenario, "src": src, "seekTo": seekTo})
}

// playOn runs interop/play.mjs with spec in the blank page of pages (a
// base URL serving testPages), with hls.js from there too.
func playOn(t *testing.T, chromium, pages string, spec map[string]any) result {
	t.Helper()
	full := map[string]any{
		"chromium":    chromium,
		"userDataDir": t.TempDir(),
		"page":        pages + "/__test/blank.html",
		"hlsScript":   pages + "/__test/hls.min.js",
		"timeoutMs":   (60 * time.Second).Milliseconds(),
	}
	maps.Copy(full, spec)
	js, _ := json.Marshal(full)
	cmd := exec.Command("node", "play.mjs", string(js))
	cmd.Dir = "interop"
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node play.mjs: %v\n%s", err, out)
	}
	var res result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("play.mjs printed %q: %v", out, err)
	}
	return res
}

// TestPlayMP4WithSeek plays an H.264 mp4 from an authenticated bucket
// through a signed URL and seeks into its second half: the player must get
// there, and it must have done so with Range requests. The bucket's origin
// is a directory, then an HTTP server the gateway proxies.
func TestPlayMP4WithSeek(t *testing.T) {
	chromium := requireTools(t)
	media := t.TempDir()
	films := filepath.Join(media, "films")
	if err := os.MkdirAll(films, 0o755); err != nil {
		t.Fatal(err)
	}
	// No faststart: the moov box is at the end, so the player must ask for
	// a range past the start before it can play at all. Constant 8 Mbit/s
	// (filler included) makes the file about 30 MB, more than Chromium reads
	// ahead, so the seek needs a range of its own too.
	ffmpeg(t, films, "-f", "lavfi", "-i", "testsrc=duration=30:size=320x240:rate=25",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25",
		"-b:v", "8M", "-minrate", "8M", "-maxrate", "8M", "-bufsize", "2M", "-x264-params", "nal-hrd=cbr", "a.mp4")
	// The upstream of the HTTP origin; http.FileServer answers ranges and
	// validators with ServeContent.
	upstream := httptest.NewServer(http.FileServer(http.Dir(media)))
	t.Cleanup(upstream.Close)

	for _, origin := range []struct{ name, origin string }{
		{"file origin", media},
		{"http origin", upstream.URL},
	} {
		t.Run(origin.name, func(t *testing.T) {
			g := startGateway(t, testPages(), nil)
			sign := g.authenticatedBucket(t, "media", origin.origin)
			playWithSeek(t, chromium, g, "/media/media/films/a.mp4?auth="+url.QueryEscape(sign("/films/")))
		})
	}
}

func playWithSeek(t *testing.T, chromium string, g *gateway, pathAndQuery string) {
	t.Helper()
	const seekTo = 24.0
	res := play(t, chromium, g, "mp4-seek", g.URL+pathAndQuery, seekTo)
	t.Logf("player: %+v", res)
	if res.CanPlayH264 == "" {
		t.Errorf("this Chromium cannot play H.264 (canPlayType %q)", res.CanPlayH264)
	}
	if res.Error != "" || res.MediaError != "" {
		t.Fatalf("playback failed: %s %s", res.Error, res.MediaError)
	}
	if res.CurrentTime <= seekTo {
		t.Errorf("currentTime %.2f, want past the seek point %.1f", res.CurrentTime, seekTo)
	}
	objectPath, _, _ := strings.Cut(pathAndQuery, "?")
	reqs := g.requests(objectPath)
	ranges := 0
	for _, s := range reqs {
		// 304: Chromium revalidates ranges it holds in its HTTP cache
		// with If-None-Match, and the ETag still matches.
		if s.Status != 200 && s.Status != 206 && !(s.Status == 304 && s.Conditional) {
			t.Errorf("request %+v answered %d", s, s.Status)
		}
		// A range that does not start at 0 is one the player chose.
		if s.Status == 206 && strings.HasPrefix(s.Range, "bytes=") && !strings.HasPrefix(s.Range, "bytes=0-") {
			ranges++
		}
	}
	if ranges < 2 {
		t.Errorf("the gateway answered %d Range requests not starting at 0 (%+v), want at least 2 (the moov box and the seek)", ranges, reqs)
	}
}

// TestPlayHLSWithOneToken plays an HLS stream from an authenticated bucket
// with one token, given on the playlist URL only: every segment must load
// (through the rewritten playlist or the playlist cookie) and the video
// must play to its end. Chromium's native HLS player and hls.js (which
// fetches segments itself) are both tried.
func TestPlayHLSWithOneToken(t *testing.T) {
	chromium := requireTools(t)
	media := t.TempDir()
	dir := filepath.Join(media, "shows", "one")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ffmpeg(t, dir, "-f", "lavfi", "-i", "testsrc=duration=6:size=320x240:rate=25",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "50",
		"-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
		"-hls_segment_filename", "seg%d.ts", "index.m3u8")
	segments, err := filepath.Glob(filepath.Join(dir, "seg*.ts"))
	if err != nil || len(segments) < 3 {
		t.Fatalf("ffmpeg made segments %v (%v), want at least 3", segments, err)
	}

	tests := []struct {
		name, scenario string
		// cookieOnly turns playlist rewriting off: segments then carry no
		// token in their URLs and load with the playlist cookie alone.
		cookieOnly bool
	}{
		{"native", "hls-native", false},
		{"hls.js", "hls.js", false},
		{"native cookie only", "hls-native", true},
		{"hls.js cookie only", "hls.js", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scenario := tt.scenario
			env := map[string]string{}
			if tt.cookieOnly {
				env["GATEWAY_DELIVERY_REWRITE_PLAYLISTS"] = "false"
			}
			g := startGateway(t, testPages(), env)
			sign := g.authenticatedBucket(t, "media", media)
			prefix := "/media/media/shows/one/"
			src := g.URL + prefix + "index.m3u8?auth=" + url.QueryEscape(sign("/shows/one/"))
			res := play(t, chromium, g, scenario, src, 0)
			t.Logf("player: %+v", res)
			if scenario == "hls-native" && res.CanPlayHLS == "" {
				t.Skip("this Chromium has no native HLS player; hls.js covers it")
			}
			if res.Error != "" || res.MediaError != "" || !res.Ended {
				t.Fatalf("playback did not reach the end: %s %s (ended %v)", res.Error, res.MediaError, res.Ended)
			}

			loaded := map[string]bool{}
			playlistWithToken := false
			for _, s := range g.requests(prefix) {
				name := strings.TrimPrefix(s.Path, prefix)
				ok := s.Status == 200 || s.Status == 206 || (s.Status == 304 && s.Conditional)
				switch {
				case name == "index.m3u8":
					t.Logf("playlist: status %d, auth in URL %v, cookie %v, range %q", s.Status, s.HasAuth, s.HasCookie, s.Range)
					playlistWithToken = playlistWithToken || (s.HasAuth && (s.Status == 200 || s.Status == 206))
				case strings.HasSuffix(name, ".ts"):
					t.Logf("segment %s: status %d, auth in URL %v, cookie %v", name, s.Status, s.HasAuth, s.HasCookie)
					loaded[name] = loaded[name] || ok
					if tt.cookieOnly && s.HasAuth {
						t.Errorf("segment %s carried ?auth= with playlist rewriting off", name)
					}
				}
				if !ok {
					t.Errorf("%s %s answered %d", s.Method, s.Path, s.Status)
				}
			}
			if !playlistWithToken {
				t.Error("the playlist was not loaded with ?auth=")
			}
			for _, seg := range segments {
				if name := filepath.Base(seg); !loaded[name] {
					t.Errorf("segment %s was never loaded", name)
				}
			}
		})
	}
}
