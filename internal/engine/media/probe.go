package media

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// probeInfo is what the engine needs to know of an input before running
// ffmpeg on it.
type probeInfo struct {
	duration      float64 // seconds; 0 when the container does not say
	hasVideo      bool    // a real video stream, not cover art
	hasAudio      bool
	width, height int // of the first video stream
}

type probeJSON struct {
	Streams []struct {
		CodecType   string         `json:"codec_type"`
		Width       int            `json:"width"`
		Height      int            `json:"height"`
		Duration    string         `json:"duration"`
		Disposition map[string]int `json:"disposition"`
		SideData    []struct {
			Rotation float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// probeTimeout bounds ffprobe, which reads headers only and should answer at
// once; a file that makes it think longer is refused.
const probeTimeout = 30 * time.Second

// probe reads the input with ffprobe using the demuxer of its declared format
// and checks it against the limits. A file that this demuxer cannot read,
// or that has no audio or video stream, is INVALID_INPUT.
func (e *Engine) probe(ctx context.Context, path, format string) (probeInfo, error) {
	var info probeInfo
	args := []string{"-v", "error", "-protocol_whitelist", "file", "-f", demuxers[format],
		"-show_entries", "stream=codec_type,width,height,duration:stream_disposition=attached_pic:stream_side_data=rotation:format=duration",
		"-of", "json", "file:" + path}
	out, err := e.exec(ctx, e.ffprobe, args, probeTimeout, nil)
	if err != nil {
		if engine.CodeOf(err) == engine.CodeConversionFailed {
			return info, engine.Wrap(engine.CodeInvalidInput, err, fmt.Sprintf("the input is not a readable %s file", format))
		}
		return info, err
	}
	var p probeJSON
	if err := json.Unmarshal(out, &p); err != nil {
		// Only a file with an absurd number of streams overflows the
		// captured output.
		return info, engine.Wrap(engine.CodeInvalidInput, err, "the input's streams could not be read")
	}
	info.duration = seconds(p.Format.Duration)
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			if s.Disposition["attached_pic"] == 1 {
				continue
			}
			if !info.hasVideo {
				info.hasVideo, info.width, info.height = true, s.Width, s.Height
				// ffmpeg turns frames upright (autorotate), so a phone
				// video held upright is taller than its coded frames.
				for _, sd := range s.SideData {
					if r := int(math.Abs(sd.Rotation)) % 180; r == 90 {
						info.width, info.height = s.Height, s.Width
					}
				}
			}
			if int64(s.Width)*int64(s.Height) > int64(e.cfg.MaxPixels) {
				return info, engine.Errorf(engine.CodeTooLarge, "the video's frames (%dx%d) exceed the limit of %d pixels", s.Width, s.Height, e.cfg.MaxPixels)
			}
		case "audio":
			info.hasAudio = true
		}
		if info.duration == 0 {
			info.duration = max(info.duration, seconds(s.Duration))
		}
	}
	if !info.hasVideo && !info.hasAudio {
		return info, engine.Errorf(engine.CodeInvalidInput, "the input has no audio or video stream")
	}
	if info.hasVideo && (info.width <= 0 || info.height <= 0) {
		return info, engine.Errorf(engine.CodeInvalidInput, "the input's video stream has no frame size")
	}
	if info.duration > e.cfg.MaxDuration.Seconds() {
		return info, engine.Errorf(engine.CodeTooLarge, "the input lasts %s, longer than the limit of %s",
			(time.Duration(info.duration) * time.Second).String(), e.cfg.MaxDuration)
	}
	return info, nil
}

// seconds parses ffprobe's duration ("12.345000", or "N/A"), giving 0 for
// anything unusable.
func seconds(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0
	}
	return f
}
