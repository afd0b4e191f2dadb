package media

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/signedgate/gateway/internal/engine"
)

// Run performs a convert or thumbnail task, one input after the other.
func (e *Engine) Run(ctx context.Context, req engine.Request) (engine.Result, error) {
	req.Report(0)
	if len(req.Inputs) == 0 {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "the task has no input file")
	}
	in := engine.NormalizeFormat(req.InputFormat)
	if in == "" {
		in = engine.FormatOf(req.Inputs[0].Name)
	}
	out := engine.NormalizeFormat(req.OutputFormat)
	var do func(ctx context.Context, input engine.File, stage func(int)) ([]engine.File, error)
	switch {
	case req.Operation == "convert" && (isVideo(in) || isAudio(in)) && (isAudio(out) || isVideo(in) && isVideo(out)):
		opts, err := parseConvert(out, req.Options, e.cfg.MaxPixels)
		if err != nil {
			return engine.Result{}, err
		}
		do = func(ctx context.Context, input engine.File, stage func(int)) ([]engine.File, error) {
			f, err := e.convert(ctx, req, input, in, out, opts, stage)
			return []engine.File{f}, err
		}
	case req.Operation == "thumbnail" && isVideo(in) && thumbEncoders[out] != "":
		opts, err := parseThumb(req.Options, e.cfg.MaxPixels)
		if err != nil {
			return engine.Result{}, err
		}
		do = func(ctx context.Context, input engine.File, stage func(int)) ([]engine.File, error) {
			return e.thumbnails(ctx, req, input, in, out, opts, stage)
		}
	default:
		return engine.Result{}, engine.Errorf(engine.CodeUnsupportedConversion, "%s cannot %s %s to %s", Name, req.Operation, orUnknown(in), orUnknown(out))
	}
	var res engine.Result
	n := len(req.Inputs)
	for i, input := range req.Inputs {
		files, err := do(ctx, input, func(pct int) { req.Report((i*100 + pct) / n) })
		if err != nil {
			for _, f := range append(res.Files, files...) {
				os.Remove(f.Path)
			}
			return engine.Result{}, err
		}
		res.Files = append(res.Files, files...)
	}
	req.Report(100)
	return res, nil
}

func (e *Engine) convert(ctx context.Context, req engine.Request, input engine.File, in, out string,
	o convertOpts, stage func(int)) (engine.File, error) {
	info, err := e.probe(ctx, input.Path, in)
	if err != nil {
		return engine.File{}, err
	}
	c := containers[out]
	video := c.videoCodecs != nil && info.hasVideo
	if !video && !info.hasAudio {
		return engine.File{}, engine.Errorf(engine.CodeInvalidInput, "the input has no audio stream to convert to %s", out)
	}
	args := inputArgs(in, input.Path, -1)
	if video {
		args = append(args, "-map", "0:V:0", "-c:v", encoders[o.videoCodec])
		args = append(args, videoCodecArgs(o.videoCodec, o.crf)...)
		w, h := evenFit(info.width, info.height, o.width, o.height)
		if w != info.width || h != info.height {
			args = append(args, "-vf", fmt.Sprintf("scale=%d:%d,setsar=1", w, h))
		}
		if o.fps > 0 {
			args = append(args, "-r", strconv.FormatFloat(o.fps, 'f', -1, 64))
		}
	}
	if info.hasAudio {
		args = append(args, "-map", "0:a:0", "-c:a", encoders[o.audioCodec])
		if o.audioKbps > 0 && o.audioCodec != "pcm_s16le" {
			args = append(args, "-b:a", strconv.Itoa(o.audioKbps)+"k")
		}
	}
	args = append(args, c.flags...)

	name, err := engine.OutputName(input, req.Options, out)
	if err != nil {
		return engine.File{}, err
	}
	f, file, err := engine.CreateOutput(req.WorkDir, name)
	if err != nil {
		return engine.File{}, err
	}
	f.Close()
	args = append(args, "-progress", "pipe:1", "-nostats", "-f", c.muxer, "file:"+file.Path)
	total := info.duration * 1e6
	_, err = e.exec(ctx, e.ffmpeg, args, e.cfg.Timeout, func(us int64) {
		if total > 0 {
			stage(min(int(float64(us)*100/total), 99))
		}
	})
	if err != nil {
		os.Remove(file.Path)
		return engine.File{}, err
	}
	if st, err := os.Stat(file.Path); err != nil || st.Size() == 0 {
		os.Remove(file.Path)
		return engine.File{}, engine.Errorf(engine.CodeConversionFailed, "ffmpeg produced no output")
	}
	stage(100)
	return file, nil
}

// inputArgs are the common arguments up to the input. seek >= 0 seeks before
// decoding (fast, by key frame, then exact).
func inputArgs(in, path string, seek float64) []string {
	args := []string{"-nostdin", "-hide_banner", "-y", "-loglevel", "error"}
	if seek >= 0 {
		args = append(args, "-ss", strconv.FormatFloat(seek, 'f', 3, 64))
	}
	// The whitelist keeps a crafted file from making ffmpeg open anything
	// but local files; the forced demuxer keeps it from being read as a
	// playlist of other files in the first place.
	return append(args, "-protocol_whitelist", "file", "-f", demuxers[in], "-i", "file:"+path,
		"-sn", "-dn", "-map_chapters", "-1")
}

func videoCodecArgs(codec string, crf int) []string {
	if crf < 0 {
		crf = crfRange[codec].def
	}
	q := strconv.Itoa(crf)
	switch codec {
	case "h264":
		return []string{"-preset", "veryfast", "-crf", q, "-pix_fmt", "yuv420p"}
	case "vp9":
		// -b:v 0 makes crf a constant quality; cpu-used 4 and row-mt keep
		// VP9 from taking ten times longer than the video lasts.
		return []string{"-crf", q, "-b:v", "0", "-deadline", "good", "-cpu-used", "4", "-row-mt", "1", "-pix_fmt", "yuv420p"}
	case "vp8":
		return []string{"-crf", q, "-b:v", "2M", "-deadline", "good", "-cpu-used", "4", "-pix_fmt", "yuv420p"}
	}
	return nil
}

func (e *Engine) thumbnails(ctx context.Context, req engine.Request, input engine.File, in, out string,
	o thumbOpts, stage func(int)) ([]engine.File, error) {
	info, err := e.probe(ctx, input.Path, in)
	if err != nil {
		return nil, err
	}
	if !info.hasVideo {
		return nil, engine.Errorf(engine.CodeInvalidInput, "the input has no video stream to take a thumbnail of")
	}
	d := info.duration
	t0 := o.timestamp
	if t0 < 0 {
		// One second in skips the black or faded first frames, but a
		// short clip gets 10% of its length.
		t0 = 1
		if d > 0 {
			t0 = min(1, d/10)
		}
	} else if d > 0 && t0 >= d {
		return nil, engine.Errorf(engine.CodeInvalidInput, "the timestamp %.3f s is beyond the video's end (%.3f s)", t0, d)
	}
	name, err := engine.OutputName(input, req.Options, out)
	if err != nil {
		return nil, err
	}
	stem, ext := engine.SplitExt(name)
	g := fitBox(info.width, info.height, o.width, o.height, o.fit)
	var files []engine.File
	fail := func(err error) ([]engine.File, error) {
		for _, f := range files {
			os.Remove(f.Path)
		}
		return nil, err
	}
	for i := range o.count {
		ts := t0
		if o.count > 1 && d > 0 {
			ts = t0 + (d-t0)*float64(i)/float64(o.count)
		}
		n := name
		if o.count > 1 {
			n = fmt.Sprintf("%s-%d%s", stem, i+1, ext)
		}
		f, file, err := engine.CreateOutput(req.WorkDir, n)
		if err != nil {
			return fail(err)
		}
		f.Close()
		files = append(files, file)
		args := inputArgs(in, input.Path, ts)
		args = append(args, "-map", "0:V:0", "-an", "-frames:v", "1", "-vf", g.filter(),
			"-c:v", thumbEncoders[out])
		if out == "jpg" {
			args = append(args, "-q:v", "2")
		}
		args = append(args, "-f", "image2", "-update", "1", "file:"+file.Path)
		if _, err := e.exec(ctx, e.ffmpeg, args, e.cfg.Timeout, nil); err != nil {
			return fail(err)
		}
		if st, err := os.Stat(file.Path); err != nil || st.Size() == 0 {
			return fail(engine.Errorf(engine.CodeInvalidInput, "the video has no frame at %.3f s", ts))
		}
		stage((i + 1) * 100 / o.count)
	}
	return files, nil
}

func orUnknown(format string) string {
	if format == "" {
		return "an unknown format"
	}
	return format
}
