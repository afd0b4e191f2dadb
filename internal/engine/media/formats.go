package media

import "slices"

var (
	videoFormats = []string{"mp4", "webm", "mov", "mkv"}
	audioFormats = []string{"mp3", "wav", "ogg", "aac", "m4a"}
	thumbFormats = []string{"png", "jpg", "webp"}
)

func isVideo(f string) bool { return slices.Contains(videoFormats, f) }
func isAudio(f string) bool { return slices.Contains(audioFormats, f) }

// demuxers names the one ffmpeg demuxer each input format is read with.
// Forcing it (-f) instead of letting ffmpeg guess from the content is what
// keeps a file named .mp4 from being read as an HLS playlist, a concat list
// or an image sequence that points at other files.
var demuxers = map[string]string{
	"mp4":  "mov",
	"mov":  "mov",
	"m4a":  "mov",
	"webm": "matroska",
	"mkv":  "matroska",
	"mp3":  "mp3",
	"wav":  "wav",
	"ogg":  "ogg",
	"aac":  "aac",
}

// container is how an output format is written: the muxer, the default and
// allowed codecs (by the names users send), and extra muxer flags.
type container struct {
	muxer       string
	videoCodecs []string // first is the default; nil for audio formats
	audioCodecs []string // first is the default
	flags       []string
}

var containers = map[string]container{
	// faststart moves the index to the front so players can start before
	// the whole file has arrived.
	"mp4":  {muxer: "mp4", videoCodecs: []string{"h264"}, audioCodecs: []string{"aac", "mp3"}, flags: []string{"-movflags", "+faststart"}},
	"mov":  {muxer: "mov", videoCodecs: []string{"h264"}, audioCodecs: []string{"aac", "mp3"}, flags: []string{"-movflags", "+faststart"}},
	"mkv":  {muxer: "matroska", videoCodecs: []string{"h264", "vp9", "vp8"}, audioCodecs: []string{"aac", "opus", "vorbis", "mp3"}},
	"webm": {muxer: "webm", videoCodecs: []string{"vp9", "vp8"}, audioCodecs: []string{"opus", "vorbis"}},
	"mp3":  {muxer: "mp3", audioCodecs: []string{"mp3"}},
	"wav":  {muxer: "wav", audioCodecs: []string{"pcm_s16le"}},
	"ogg":  {muxer: "ogg", audioCodecs: []string{"vorbis", "opus"}},
	"aac":  {muxer: "adts", audioCodecs: []string{"aac"}},
	"m4a":  {muxer: "ipod", audioCodecs: []string{"aac"}, flags: []string{"-movflags", "+faststart"}},
}

// encoders maps the codec names of the video_codec and audio_codec options
// to ffmpeg encoders.
var encoders = map[string]string{
	"h264":      "libx264",
	"vp9":       "libvpx-vp9",
	"vp8":       "libvpx",
	"aac":       "aac",
	"mp3":       "libmp3lame",
	"opus":      "libopus",
	"vorbis":    "libvorbis",
	"pcm_s16le": "pcm_s16le",
}

// crfRange is the valid crf per video codec and the default used when the
// task sets none.
var crfRange = map[string]struct{ max, def int }{
	"h264": {51, 23},
	"vp9":  {63, 32},
	"vp8":  {63, 10},
}

// thumbEncoders are the image encoders of thumbnail outputs.
var thumbEncoders = map[string]string{
	"png":  "png",
	"jpg":  "mjpeg",
	"webp": "libwebp",
}
