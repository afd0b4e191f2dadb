package media

import (
	"slices"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

// FuzzOptions feeds arbitrary strings to every option and checks that what
// is accepted is from the allow-lists and within range, so nothing a user
// sends reaches ffmpeg but the engine's own constants and numbers.
func FuzzOptions(f *testing.F) {
	for _, s := range []string{"h264", "vp9", "128k", "00:01:02.5", "1:2", "-1", "crop", "1e3", "$(id)", "-i x"} {
		f.Add("mp4", s, s, s)
	}
	f.Fuzz(func(t *testing.T, out, codec, num, ts string) {
		if _, ok := containers[out]; !ok {
			out = "webm"
		}
		o := engine.Options{"video_codec": codec, "audio_codec": codec, "crf": num, "audio_bitrate": num,
			"fps": num, "width": num}
		c, err := parseConvert(out, o, DefaultMaxPixels)
		if err == nil {
			ct := containers[out]
			if c.videoCodec != "" && !slices.Contains(ct.videoCodecs, c.videoCodec) ||
				!slices.Contains(ct.audioCodecs, c.audioCodec) ||
				c.audioKbps != 0 && (c.audioKbps < 8 || c.audioKbps > 512) ||
				c.fps != 0 && (c.fps < 1 || c.fps > 120) || c.width < 0 {
				t.Fatalf("accepted %+v", c)
			}
		} else if e := engine.AsError(err); e.Code() != engine.CodeInvalidInput && e.Code() != engine.CodeTooLarge {
			t.Fatalf("code %s", e.Code())
		}
		th, err := parseThumb(engine.Options{"timestamp": ts, "fit": codec, "count": num}, DefaultMaxPixels)
		if err == nil && (th.timestamp < 0 && th.timestamp != -1 || th.count < 1 || th.count > maxThumbnails ||
			!slices.Contains([]string{fitMax, fitCrop, fitScale}, th.fit)) {
			t.Fatalf("accepted %+v", th)
		}
		g := fitBox(320, 240, max(0, c.width), 0, th.fit)
		if g.w < 1 || g.h < 1 {
			t.Fatalf("geometry %+v", g)
		}
	})
}
