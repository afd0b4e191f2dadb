package media

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

func TestConvert(t *testing.T) {
	e := newEngine(t, Config{})
	src := t.TempDir()
	mp4 := makeMedia(t, src, "clip.mp4", true, true)
	wav := makeMedia(t, src, "tone.wav", false, true)
	tests := []struct {
		in         engine.File
		inFormat   string
		out        string
		opts       engine.Options
		vcodec     string // "" = no video stream expected
		acodec     string
		w, h       int
		wantFormat string
	}{
		{mp4, "mp4", "webm", nil, "vp9", "opus", 320, 240, "matroska,webm"},
		{mp4, "mp4", "mov", nil, "h264", "aac", 320, 240, "mov,mp4,m4a,3gp,3g2,mj2"},
		{mp4, "mp4", "mkv", engine.Options{"width": 161}, "h264", "aac", 160, 120, "matroska,webm"},
		{mp4, "mp4", "mp4", engine.Options{"height": 100, "crf": 30, "fps": 15, "audio_bitrate": "96k"}, "h264", "aac", 132, 100, "mov,mp4,m4a,3gp,3g2,mj2"},
		{mp4, "mp4", "webm", engine.Options{"video_codec": "vp8", "audio_codec": "vorbis"}, "vp8", "vorbis", 320, 240, "matroska,webm"},
		{mp4, "mp4", "mp3", nil, "", "mp3", 0, 0, "mp3"},
		{mp4, "mp4", "m4a", nil, "", "aac", 0, 0, "mov,mp4,m4a,3gp,3g2,mj2"},
		{wav, "wav", "ogg", nil, "", "vorbis", 0, 0, "ogg"},
		{wav, "wav", "ogg", engine.Options{"audio_codec": "opus"}, "", "opus", 0, 0, "ogg"},
		{wav, "wav", "aac", engine.Options{"audio_bitrate": 64}, "", "aac", 0, 0, "aac"},
		{wav, "wav", "mp3", nil, "", "mp3", 0, 0, "mp3"},
		{wav, "wav", "wav", nil, "", "pcm_s16le", 0, 0, "wav"},
	}
	for _, tt := range tests {
		t.Run(tt.inFormat+"-"+tt.out, func(t *testing.T) {
			var mu sync.Mutex
			var progress []int
			res, err := e.Run(testCtx(t), engine.Request{
				Operation: "convert", InputFormat: tt.inFormat, OutputFormat: tt.out,
				Inputs: []engine.File{tt.in}, Options: tt.opts, WorkDir: t.TempDir(),
				Progress: func(p int) { mu.Lock(); progress = append(progress, p); mu.Unlock() },
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != 1 || filepath.Ext(res.Files[0].Name) != "."+tt.out {
				t.Fatalf("files %+v", res.Files)
			}
			p := probeFile(t, res.Files[0].Path)
			if p.Format.FormatName != tt.wantFormat {
				t.Errorf("format %q, want %q", p.Format.FormatName, tt.wantFormat)
			}
			if got := p.codec("video"); got != tt.vcodec {
				t.Errorf("video codec %q, want %q", got, tt.vcodec)
			}
			if got := p.codec("audio"); got != tt.acodec {
				t.Errorf("audio codec %q, want %q", got, tt.acodec)
			}
			if w, h := p.size(); w != tt.w || h != tt.h {
				t.Errorf("size %dx%d, want %dx%d", w, h, tt.w, tt.h)
			}
			if fps, _ := tt.opts.Float("fps"); fps > 0 && p.frameRate() != "15/1" {
				t.Errorf("frame rate %s, want 15/1", p.frameRate())
			}
			if tt.out != "aac" { // raw ADTS has no duration field
				if d := p.duration(t); math.Abs(d-3) > 0.2 {
					t.Errorf("duration %.3f, want 3±0.2", d)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if progress[0] != 0 || progress[len(progress)-1] != 100 || !slices.IsSorted(progress) {
				t.Errorf("progress %v", progress)
			}
		})
	}
}

func TestThumbnail(t *testing.T) {
	e := newEngine(t, Config{})
	src := makeMedia(t, t.TempDir(), "clip.webm", true, false)
	tests := []struct {
		out    string
		opts   engine.Options
		files  int
		w, h   int
		prefix string
	}{
		{"png", nil, 1, 320, 240, "\x89PNG"},
		{"jpg", engine.Options{"width": 100, "timestamp": "00:00:02"}, 1, 100, 75, "\xff\xd8"},
		{"webp", engine.Options{"width": 100, "height": 100, "fit": "crop"}, 1, 100, 100, "RIFF"},
		{"png", engine.Options{"width": 100, "height": 100, "fit": "scale", "timestamp": 2.5}, 1, 100, 100, "\x89PNG"},
		{"png", engine.Options{"width": 100, "height": 100}, 1, 100, 75, "\x89PNG"},
		{"png", engine.Options{"width": 1000}, 1, 320, 240, "\x89PNG"},
		{"jpg", engine.Options{"count": 3, "height": 60}, 3, 80, 60, "\xff\xd8"},
	}
	for _, tt := range tests {
		t.Run(tt.out, func(t *testing.T) {
			res, err := e.Run(testCtx(t), engine.Request{
				Operation: "thumbnail", InputFormat: "webm", OutputFormat: tt.out,
				Inputs: []engine.File{src}, Options: tt.opts, WorkDir: t.TempDir(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != tt.files {
				t.Fatalf("%d files, want %d", len(res.Files), tt.files)
			}
			for _, f := range res.Files {
				b, err := os.ReadFile(f.Path)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(string(b), tt.prefix) {
					t.Errorf("%s does not start with %q", f.Name, tt.prefix)
				}
				if w, h := probeFile(t, f.Path).size(); w != tt.w || h != tt.h {
					t.Errorf("%s: %dx%d, want %dx%d", f.Name, w, h, tt.w, tt.h)
				}
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	e := newEngine(t, Config{MaxDuration: 10e9 /* 10 s */, MaxPixels: 640 * 480})
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.mp4")
	os.WriteFile(text, []byte("this is not a video\n"), 0o644)
	// An HLS playlist named .mp4 must not be followed to the file it names.
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("secret"), 0o644)
	playlist := filepath.Join(dir, "list.mp4")
	os.WriteFile(playlist, []byte("#EXTM3U\n#EXTINF:1,\nfile:"+secret+"\n#EXT-X-ENDLIST\n"), 0o644)
	concat := filepath.Join(dir, "concat.mkv")
	os.WriteFile(concat, []byte("ffconcat version 1.0\nfile "+secret+"\n"), 0o644)
	wav := makeMedia(t, dir, "tone.wav", false, true)
	long := makeMedia(t, dir, "long.mp3", false, true, "-af", "apad=whole_dur=12")
	big := makeMedia(t, dir, "big.mp4", true, false, "-vf", "scale=1280:720")
	silent := makeMedia(t, dir, "silent.mp4", true, false)
	tests := []struct {
		name, op, in, out string
		file              engine.File
		opts              engine.Options
		code              string
	}{
		{"text as video", "convert", "mp4", "webm", engine.File{Path: text, Name: "notes.mp4"}, nil, engine.CodeInvalidInput},
		{"playlist", "convert", "mp4", "mp3", engine.File{Path: playlist, Name: "list.mp4"}, nil, engine.CodeInvalidInput},
		{"concat list", "thumbnail", "mkv", "png", engine.File{Path: concat, Name: "c.mkv"}, nil, engine.CodeInvalidInput},
		{"wav declared as mp4", "convert", "mp4", "mp3", wav, nil, engine.CodeInvalidInput},
		{"too long", "convert", "mp3", "wav", long, nil, engine.CodeTooLarge},
		{"too many pixels", "convert", "mp4", "webm", big, nil, engine.CodeTooLarge},
		{"no audio to extract", "convert", "mp4", "mp3", silent, nil, engine.CodeInvalidInput},
		{"audio to video", "convert", "wav", "mp4", wav, nil, engine.CodeUnsupportedConversion},
		{"thumbnail of audio", "thumbnail", "wav", "png", wav, nil, engine.CodeUnsupportedConversion},
		{"timestamp past the end", "thumbnail", "mp4", "png", silent, engine.Options{"timestamp": 5}, engine.CodeInvalidInput},
		{"output size too large", "convert", "mp4", "mp4", silent, engine.Options{"width": 4000, "height": 4000}, engine.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			_, err := e.Run(testCtx(t), engine.Request{Operation: tt.op, InputFormat: tt.in, OutputFormat: tt.out,
				Inputs: []engine.File{tt.file}, Options: tt.opts, WorkDir: out})
			wantCode(t, err, tt.code)
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Errorf("outputs left behind: %v", left)
			}
		})
	}
}

// TestRotatedVideo checks that sizes apply to the upright picture of a video
// whose stream says to rotate it, as phones record.
func TestRotatedVideo(t *testing.T) {
	e := newEngine(t, Config{})
	dir := t.TempDir()
	plain := makeMedia(t, dir, "plain.mp4", true, false)
	rotated := filepath.Join(dir, "rotated.mp4")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-i", plain.Path, "-c", "copy",
		"-metadata:s:v", "rotate=90", rotated).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	in := engine.File{Path: rotated, Name: "rotated.mp4"}
	for _, tt := range []struct {
		op, out string
		opts    engine.Options
		w, h    int
	}{
		{"thumbnail", "png", engine.Options{"width": 120}, 120, 160},
		{"thumbnail", "png", nil, 240, 320},
		{"convert", "webm", engine.Options{"height": 160}, 120, 160},
	} {
		res, err := e.Run(testCtx(t), engine.Request{Operation: tt.op, InputFormat: "mp4", OutputFormat: tt.out,
			Inputs: []engine.File{in}, Options: tt.opts, WorkDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if w, h := probeFile(t, res.Files[0].Path).size(); w != tt.w || h != tt.h {
			t.Errorf("%s %s %v: %dx%d, want %dx%d", tt.op, tt.out, tt.opts, w, h, tt.w, tt.h)
		}
	}
}

// TestRegistry checks that the conversions the engine declares find it, and
// that a missing ffmpeg is reported with its Debian package.
func TestRegistry(t *testing.T) {
	e := newEngine(t, Config{})
	r := engine.NewRegistry()
	r.Register(e)
	for _, c := range [][3]string{{"convert", "mov", "webm"}, {"convert", "MKV", "m4a"}, {"convert", "wav", "ogg"}, {"thumbnail", "mp4", "jpeg"}} {
		if got, err := r.Lookup(c[0], c[1], c[2]); err != nil || got.Name() != Name {
			t.Errorf("%v: %v, %v", c, got, err)
		}
	}
	for _, c := range [][3]string{{"convert", "mp3", "mp4"}, {"thumbnail", "wav", "png"}, {"convert", "mp4", "gif"}} {
		if _, err := r.Lookup(c[0], c[1], c[2]); engine.CodeOf(err) != engine.CodeUnsupportedConversion {
			t.Errorf("%v: %v", c, err)
		}
	}
	if e.Version() == "unknown" || e.Version() == "" {
		t.Errorf("version %q", e.Version())
	}
	missing := engine.NewRegistry()
	missing.RegisterUnavailable(Name, Package, Conversions())
	if _, err := missing.Lookup("convert", "mp4", "webm"); err == nil || !strings.Contains(err.Error(), "ffmpeg") {
		t.Errorf("missing engine: %v", err)
	}
	if _, err := New(Config{FFmpegPath: "/nonexistent/ffmpeg"}); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("New with a missing program: %v", err)
	}
}
