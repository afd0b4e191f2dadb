package media

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// hostileValues are option values that would do harm if they reached a
// command line or a shell: flags, spaces, metacharacters, filter syntax.
var hostileValues = []any{
	"-f", "-i /etc/passwd", "h264 -vf drawtext", "h264;id", "$(id)", "`id`", "aac|id",
	"libx264", "../../etc/passwd", "h264\n-y", "", " ", "copy", "scale=1:1", "1e9", "-1",
	"128k -map 0", "00:00:01;id", "NaN", "Inf", "0x10", "12abc", 1e12, -5, true, []any{"h264"},
	map[string]any{"a": 1},
}

func TestHostileOptionsRefused(t *testing.T) {
	e := newEngine(t, Config{})
	src := t.TempDir()
	mp4 := makeMedia(t, src, "clip.mp4", true, true)
	keys := []struct{ op, out, key string }{
		{"convert", "mp4", "video_codec"},
		{"convert", "webm", "audio_codec"},
		{"convert", "mp4", "crf"},
		{"convert", "mp4", "audio_bitrate"},
		{"convert", "mp4", "width"},
		{"convert", "mp4", "height"},
		{"convert", "mp4", "fps"},
		{"thumbnail", "png", "fit"},
		{"thumbnail", "png", "count"},
		{"thumbnail", "png", "timestamp"},
		{"thumbnail", "png", "width"},
	}
	for _, k := range keys {
		for _, v := range hostileValues {
			// A few values are legitimate for some keys: an empty string
			// means "default", and -5 or 1e12 are numbers the key may
			// accept or refuse on range; those are checked by code below.
			opts := engine.Options{k.key: v}
			_, err := e.Run(testCtx(t), engine.Request{Operation: k.op, InputFormat: "mp4", OutputFormat: k.out,
				Inputs: []engine.File{mp4}, Options: opts, WorkDir: t.TempDir()})
			if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
				if err != nil {
					t.Errorf("%s=%q: %v", k.key, v, err)
				}
				continue
			}
			code := engine.CodeOf(err)
			if code != engine.CodeInvalidInput && code != engine.CodeTooLarge {
				t.Errorf("%s %s=%#v: code %q (%v), want INVALID_INPUT or TOO_LARGE", k.op, k.key, v, code, err)
			}
		}
	}
}

func TestCancelKillsFFmpeg(t *testing.T) {
	e := newEngine(t, Config{})
	src := longVideo(t)
	work := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, engine.Request{Operation: "convert", InputFormat: "mkv", OutputFormat: "webm",
			Inputs: []engine.File{src}, WorkDir: work,
			// The first progress above 0 means ffmpeg is encoding.
			Progress: func(p int) {
				if p > 0 {
					once.Do(func() { close(started) })
				}
			}})
		done <- err
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("finished before it could be cancelled: %v", err)
	}
	if p := pgrep(t, work); p == "" {
		out, _ := exec.Command("pgrep", "-a", "ffmpeg").Output()
		t.Fatalf("pgrep does not see the running ffmpeg: %s", out)
	}
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if left := pgrep(t, work); left != "" {
		t.Fatalf("ffmpeg still running after cancel: %s", left)
	}
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("outputs left behind: %v", left)
	}
}

func TestTimeout(t *testing.T) {
	e := newEngine(t, Config{Timeout: 300 * time.Millisecond})
	src := longVideo(t)
	work := t.TempDir()
	_, err := e.Run(testCtx(t), engine.Request{Operation: "convert", InputFormat: "mkv", OutputFormat: "webm",
		Inputs: []engine.File{src}, Options: engine.Options{"width": 1280}, WorkDir: work})
	wantCode(t, err, engine.CodeTimeout)
	if left := pgrep(t, work); left != "" {
		t.Fatalf("ffmpeg still running after the timeout: %s", left)
	}
}

// pgrep lists the processes whose command line mentions s.
func pgrep(t *testing.T, s string) string {
	t.Helper()
	out, err := exec.Command("pgrep", "-a", "-f", s).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			return "" // nothing matched
		}
		t.Fatalf("pgrep: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// longVideo makes a 60 s 640x480 video, which takes seconds to encode to VP9
// on any machine, while making it (ultrafast H.264) takes about one.
func longVideo(t *testing.T) engine.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "long.mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=duration=60:size=640x480:rate=25", "-c:v", "libx264", "-preset", "ultrafast", p).CombinedOutput()
	if err != nil {
		t.Fatalf("making the long video: %v\n%s", err, out)
	}
	return engine.File{Path: p, Name: "long.mkv"}
}
