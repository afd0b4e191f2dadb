package config

import (
	"strings"
	"testing"
	"time"
)

func TestMediaEnginesConfig(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	f, p := c.Engines.FFmpeg, c.Engines.PDF
	if f.Bin != "ffmpeg" || f.ProbeBin != "ffprobe" || f.MaxDuration != 2*time.Hour || f.MaxPixels != 8192*4320 ||
		f.Timeout != 10*time.Minute {
		t.Errorf("ffmpeg defaults: %+v", f)
	}
	if p.MaxPixels != 40_000_000 || p.MaxPages != 5000 || p.MaxRenderPages != 50 || p.Timeout != 2*time.Minute {
		t.Errorf("pdf defaults: %+v", p)
	}
	for _, tc := range []struct{ name, value string }{
		{"GATEWAY_ENGINES_FFMPEG_MAX_DURATION", "0s"},
		{"GATEWAY_ENGINES_FFMPEG_MAX_DURATION", "long"},
		{"GATEWAY_ENGINES_FFMPEG_MAX_PIXELS", "100"},
		{"GATEWAY_ENGINES_FFMPEG_TIMEOUT", "-1s"},
		{"GATEWAY_ENGINES_PDF_MAX_PIXELS", "0"},
		{"GATEWAY_ENGINES_PDF_MAX_PAGES", "1"},
		{"GATEWAY_ENGINES_PDF_MAX_RENDER_PAGES", "0"},
		{"GATEWAY_ENGINES_PDF_TIMEOUT", "0s"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := LoadFrom(map[string]string{tc.name: tc.value})
			if err == nil || !strings.Contains(err.Error(), tc.name) {
				t.Fatalf("err %v, want one naming %s", err, tc.name)
			}
		})
	}
	c, err = LoadFrom(map[string]string{"GATEWAY_ENGINES_FFMPEG_MAX_DURATION": "30m", "GATEWAY_ENGINES_PDF_MAX_PAGES": "100"})
	if err != nil || c.Engines.FFmpeg.MaxDuration != 30*time.Minute || c.Engines.PDF.MaxPages != 100 {
		t.Fatalf("%v %+v", err, c.Engines)
	}
}
