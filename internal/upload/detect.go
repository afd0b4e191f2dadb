package upload

import (
	"bytes"
	"image"
	_ "image/gif"  // decoders for width and height
	_ "image/jpeg" //
	_ "image/png"  //
	"mime"
	"net/http"
	"os"
	"path"
	"regexp"
	"strings"

	_ "golang.org/x/image/bmp"  //
	_ "golang.org/x/image/tiff" //
	_ "golang.org/x/image/webp" //
)

// content is what the gateway learnt about a staged file.
type content struct {
	kind          string // image, video or raw
	format        string // file extension without the dot; may be empty
	mime          string
	width, height int
}

// formatNames maps image decoder names to Cloudinary format names.
var formatNames = map[string]string{"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp", "bmp": "bmp", "tiff": "tiff"}

var extPattern = regexp.MustCompile(`^[a-z0-9]{1,10}$`)

// extOf is the lower-case extension of name, if it looks like one.
func extOf(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	if extPattern.MatchString(ext) {
		return ext
	}
	return ""
}

var videoExts = map[string]bool{"mp4": true, "mov": true, "webm": true, "mkv": true, "avi": true, "m4v": true,
	"ogv": true, "mp3": true, "wav": true, "ogg": true, "m4a": true, "flac": true, "aac": true, "3gp": true}

// detect looks at the file itself: images by decoding their header only
// (image.DecodeConfig reads no pixels), the rest by sniffing and by name.
func detect(st *staged) content {
	c := content{kind: "raw", format: extOf(st.filename), mime: http.DetectContentType(st.head)}
	if f, err := os.Open(st.path); err == nil {
		cfg, name, err := image.DecodeConfig(f)
		f.Close()
		if err == nil && formatNames[name] != "" {
			c.kind, c.format, c.width, c.height = "image", formatNames[name], cfg.Width, cfg.Height
			c.mime = "image/" + name
			return c
		}
	}
	if bytes.Contains(st.head, []byte("<svg")) {
		c.kind, c.format, c.mime = "image", "svg", "image/svg+xml"
		return c
	}
	declared, _, _ := mime.ParseMediaType(st.mime)
	if strings.HasPrefix(c.mime, "video/") || strings.HasPrefix(c.mime, "audio/") ||
		strings.HasPrefix(declared, "video/") || strings.HasPrefix(declared, "audio/") || videoExts[c.format] {
		c.kind = "video"
		if c.format == "" {
			c.format = extForMIME(c.mime, declared)
		}
		return c
	}
	if c.format == "" {
		c.format = extForMIME(declared, c.mime)
	}
	return c
}

func extForMIME(types ...string) string {
	for _, t := range types {
		t, _, _ = strings.Cut(t, ";")
		switch t {
		case "", "application/octet-stream":
			continue
		case "text/plain":
			return "txt"
		}
		if exts, _ := mime.ExtensionsByType(t); len(exts) > 0 {
			if e := extOf("x" + exts[0]); e != "" {
				return e
			}
		}
	}
	return ""
}
