package origin

import (
	"mime"
	"net/http"
	"path"
	"strings"
)

// mediaTypes is consulted before the mime package, whose answers depend on
// the host's /etc/mime.types and are missing or wrong for several streaming
// formats (m3u8, ts, m4s, mpd) on common systems.
var mediaTypes = map[string]string{
	// video
	".mp4":  "video/mp4",
	".m4v":  "video/mp4", // Apple names it video/x-m4v, which players treat worse
	".webm": "video/webm",
	".mkv":  "video/x-matroska",
	".mov":  "video/quicktime",
	".ogv":  "video/ogg",
	".avi":  "video/x-msvideo",
	".3gp":  "video/3gpp",
	// streaming
	".m3u8": "application/vnd.apple.mpegurl",
	".m3u":  "audio/x-mpegurl",
	".ts":   "video/mp2t",
	".m4s":  "video/iso.segment",
	".mpd":  "application/dash+xml",
	".cmfv": "video/mp4",
	".cmfa": "audio/mp4",
	".key":  "application/octet-stream",
	// audio
	".mp3":  "audio/mpeg",
	".m4a":  "audio/mp4",
	".aac":  "audio/aac",
	".ogg":  "audio/ogg",
	".oga":  "audio/ogg",
	".opus": "audio/ogg",
	".wav":  "audio/wav",
	".flac": "audio/flac",
	".weba": "audio/webm",
	// subtitles and text
	".vtt":  "text/vtt; charset=utf-8",
	".srt":  "application/x-subrip",
	".ttml": "application/ttml+xml",
	".txt":  "text/plain; charset=utf-8",
	".csv":  "text/csv; charset=utf-8",
	".json": "application/json",
	".xml":  "application/xml",
	// images
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".gif":  "image/gif",
	".webp": "image/webp",
	".avif": "image/avif",
	".heic": "image/heic",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
	".bmp":  "image/bmp",
	".tif":  "image/tiff",
	".tiff": "image/tiff",
	// documents and archives
	".pdf":  "application/pdf",
	".zip":  "application/zip",
	".gz":   "application/gzip",
	".tar":  "application/x-tar",
	".html": "text/html; charset=utf-8",
	".htm":  "text/html; charset=utf-8",
}

// octetStream is the answer for unknown extensions. Sniffing the content
// instead could call an uploaded file text/html and run it on the gateway's
// domain.
const octetStream = "application/octet-stream"

// ContentType returns the media type of an object path by its extension.
func ContentType(objectPath string) string {
	ext := strings.ToLower(path.Ext(objectPath))
	if ext == "" {
		return octetStream
	}
	if t, ok := mediaTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return octetStream
}

// activeTypes can run script when a browser opens them directly: a bucket's
// file must not act as a page of the gateway's (or the customer's) domain,
// so they are served inside a CSP sandbox (a unique origin, no cookies, no
// storage).
var activeTypes = []string{
	"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
}

func isActive(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	for _, a := range activeTypes {
		if mt == a {
			return true
		}
	}
	return false
}

// setSafetyHeaders adds what every object response carries: no sniffing,
// and a sandbox for types that could run script.
func setSafetyHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	if isActive(h.Get("Content-Type")) {
		h.Set("Content-Security-Policy", "sandbox")
	}
}
