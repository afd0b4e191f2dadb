package media

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/testutil"
)

// newEngine returns an engine, or ends the test with testutil.MissingTool
// when ffmpeg is missing.
func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if errors.Is(err, ErrNotInstalled) {
		testutil.MissingTool(t, "ffmpeg or ffprobe", testutil.AptInstall(Package))
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// makeMedia writes a test file with ffmpeg's lavfi sources: 3 s of a test
// pattern (320x240, 25 fps) and/or a 440 Hz tone, in the given format.
func makeMedia(t *testing.T, dir, name string, video, audio bool, extra ...string) engine.File {
	t.Helper()
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
	if video {
		args = append(args, "-f", "lavfi", "-i", "testsrc=duration=3:size=320x240:rate=25")
	}
	if audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:duration=3")
	}
	if video {
		args = append(args, "-pix_fmt", "yuv420p")
	}
	args = append(args, extra...)
	p := filepath.Join(dir, name)
	args = append(args, p)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("making %s: %v\n%s", name, err, out)
	}
	return engine.File{Path: p, Name: name}
}

type probed struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		FrameRate string `json:"avg_frame_rate"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

func probeFile(t *testing.T, path string) probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p probed) codec(kind string) string {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s.CodecName
		}
	}
	return ""
}

func (p probed) size() (int, int) {
	for _, s := range p.Streams {
		if s.CodecType == "video" {
			return s.Width, s.Height
		}
	}
	return 0, 0
}

func (p probed) duration(t *testing.T) float64 {
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil {
		t.Fatalf("duration %q: %v", p.Format.Duration, err)
	}
	return d
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := engine.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func (p probed) frameRate() string {
	for _, s := range p.Streams {
		if s.CodecType == "video" {
			return s.FrameRate
		}
	}
	return ""
}
