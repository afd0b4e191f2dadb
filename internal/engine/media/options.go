package media

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/internal/engine"
)

// Fit modes of the thumbnail "fit" option, as CloudConvert defines them.
const (
	fitMax   = "max"
	fitCrop  = "crop"
	fitScale = "scale"
)

// maxThumbnails bounds the count option.
const maxThumbnails = 20

// convertOpts are the validated options of a convert task.
type convertOpts struct {
	videoCodec, audioCodec string // codec names, always set for the output's streams
	width, height          int    // 0 = keep
	crf                    int    // -1 = the codec's default
	audioKbps              int    // 0 = the encoder's default
	fps                    float64
}

// thumbOpts are the validated options of a thumbnail task.
type thumbOpts struct {
	width, height int
	fit           string
	count         int
	timestamp     float64 // seconds; -1 = default
}

func parseConvert(out string, o engine.Options, maxPixels int) (convertOpts, error) {
	c := containers[out]
	co := convertOpts{crf: -1}
	var err error
	if co.videoCodec, err = codecOption(o, "video_codec", out, c.videoCodecs); err != nil {
		return co, err
	}
	if co.audioCodec, err = codecOption(o, "audio_codec", out, c.audioCodecs); err != nil {
		return co, err
	}
	if co.width, co.height, err = sizeOptions(o, maxPixels); err != nil {
		return co, err
	}
	if set(o, "crf") {
		r, ok := crfRange[co.videoCodec]
		if !ok {
			return co, engine.Errorf(engine.CodeInvalidInput, "option crf applies to video outputs only")
		}
		if co.crf, err = o.Int("crf"); err != nil {
			return co, err
		}
		if co.crf < 0 || co.crf > r.max {
			return co, engine.Errorf(engine.CodeInvalidInput, "option crf must be between 0 and %d for %s", r.max, co.videoCodec)
		}
	}
	if set(o, "audio_bitrate") {
		if co.audioKbps, err = bitrateOption(o); err != nil {
			return co, err
		}
	}
	if set(o, "fps") {
		if co.videoCodec == "" {
			return co, engine.Errorf(engine.CodeInvalidInput, "option fps applies to video outputs only")
		}
		if co.fps, err = o.Float("fps"); err != nil {
			return co, err
		}
		if co.fps < 1 || co.fps > 120 {
			return co, engine.Errorf(engine.CodeInvalidInput, "option fps must be between 1 and 120")
		}
	}
	if (co.width > 0 || co.height > 0) && co.videoCodec == "" {
		return co, engine.Errorf(engine.CodeInvalidInput, "options width and height apply to video outputs only")
	}
	return co, nil
}

// codecOption returns the codec named by the option key, which must be one of
// allowed, or the first of allowed when the option is not set.
func codecOption(o engine.Options, key, out string, allowed []string) (string, error) {
	v, err := o.String(key)
	if err != nil {
		return "", err
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		if len(allowed) == 0 {
			return "", nil
		}
		return allowed[0], nil
	}
	if len(allowed) == 0 {
		return "", engine.Errorf(engine.CodeInvalidInput, "option %s does not apply to %s outputs", key, out)
	}
	if !slices.Contains(allowed, v) {
		return "", engine.Errorf(engine.CodeInvalidInput, "option %s must be one of %s for %s outputs", key, strings.Join(allowed, ", "), out)
	}
	return v, nil
}

func sizeOptions(o engine.Options, maxPixels int) (w, h int, err error) {
	if w, err = o.Int("width"); err != nil {
		return 0, 0, err
	}
	if h, err = o.Int("height"); err != nil {
		return 0, 0, err
	}
	if w < 0 || h < 0 {
		return 0, 0, engine.Errorf(engine.CodeInvalidInput, "options width and height must not be negative")
	}
	if int64(max(w, 1))*int64(max(h, 1)) > int64(maxPixels) || w > 16384 || h > 16384 {
		return 0, 0, engine.Errorf(engine.CodeTooLarge, "the requested size %dx%d is too large", w, h)
	}
	return w, h, nil
}

var bitrateRE = regexp.MustCompile(`^([0-9]{1,4})k$`)

// bitrateOption reads audio_bitrate in kbit/s: 128, "128" or "128k".
func bitrateOption(o engine.Options) (int, error) {
	bad := engine.Errorf(engine.CodeInvalidInput, "option audio_bitrate must be a number of kbit/s between 8 and 512, such as 128 or \"128k\"")
	var kbps int
	if s, err := o.String("audio_bitrate"); err == nil {
		m := bitrateRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
		if m == nil {
			n, err := o.Int("audio_bitrate")
			if err != nil {
				return 0, bad
			}
			kbps = n
		} else {
			kbps, _ = strconv.Atoi(m[1])
		}
	} else {
		n, err := o.Int("audio_bitrate")
		if err != nil {
			return 0, bad
		}
		kbps = n
	}
	if kbps < 8 || kbps > 512 {
		return 0, bad
	}
	return kbps, nil
}

func parseThumb(o engine.Options, maxPixels int) (thumbOpts, error) {
	t := thumbOpts{fit: fitMax, count: 1, timestamp: -1}
	var err error
	if t.width, t.height, err = sizeOptions(o, maxPixels); err != nil {
		return t, err
	}
	fit, err := o.String("fit")
	if err != nil {
		return t, err
	}
	switch fit = strings.TrimSpace(fit); fit {
	case "":
	case fitMax, fitCrop, fitScale:
		t.fit = fit
	default:
		return t, engine.Errorf(engine.CodeInvalidInput, "option fit must be max, crop or scale")
	}
	if set(o, "count") {
		if t.count, err = o.Int("count"); err != nil {
			return t, err
		}
		if t.count < 1 || t.count > maxThumbnails {
			return t, engine.Errorf(engine.CodeInvalidInput, "option count must be between 1 and %d", maxThumbnails)
		}
	}
	if set(o, "timestamp") {
		if t.timestamp, err = timestampOption(o); err != nil {
			return t, err
		}
	}
	return t, nil
}

var clockRE = regexp.MustCompile(`^(?:([0-9]{1,3}):)?([0-9]{1,2}):([0-9]{1,2}(?:\.[0-9]{1,6})?)$`)

// timestampOption reads timestamp as seconds (12.5, "12.5") or as
// [HH:]MM:SS[.fff].
func timestampOption(o engine.Options) (float64, error) {
	bad := engine.Errorf(engine.CodeInvalidInput, "option timestamp must be seconds (such as 12.5) or HH:MM:SS")
	if s, err := o.String("timestamp"); err == nil {
		s = strings.TrimSpace(s)
		if m := clockRE.FindStringSubmatch(s); m != nil {
			h := 0
			if m[1] != "" {
				h, _ = strconv.Atoi(m[1])
			}
			min, _ := strconv.Atoi(m[2])
			sec, _ := strconv.ParseFloat(m[3], 64)
			if min > 59 || sec >= 60 {
				return 0, bad
			}
			return float64(h*3600+min*60) + sec, nil
		}
	}
	f, err := o.Float("timestamp")
	if err != nil || f < 0 {
		return 0, bad
	}
	return f, nil
}

// set reports whether an option has a value; an empty or blank string means
// "the default", as SDKs send it for fields the user left empty.
func set(o engine.Options, key string) bool {
	if !o.Has(key) {
		return false
	}
	s, ok := o[key].(string)
	return !ok || strings.TrimSpace(s) != ""
}
