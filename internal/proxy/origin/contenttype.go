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
	// feeds and other markup, named here rather than left to the system
	// table, which differs between hosts
	".rss":   "application/rss+xml",
	".atom":  "application/atom+xml",
	".rdf":   "application/rdf+xml",
	".xhtml": "application/xhtml+xml",
	".xsl":   "application/xslt+xml",
	".xslt":  "application/xslt+xml",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
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

// isActive reports whether a browser that opens a response of this
// Content-Type as a document could run script in it, or render markup that
// does: such a bucket file must not act as a page of the gateway's (or the
// customer's) domain, reading its cookies or storage or calling its API
// with the viewer's credentials, so it is served inside a CSP sandbox (a
// unique origin: no cookies, no storage, no script).
//
// Types are matched by family, not by name, because the system's MIME
// table and HTTP upstreams name types the gateway never listed
// (application/rss+xml, application/dash+xml, text/x-server-parsed-html):
//
//   - markup: a subtype holding "html", "xml" (text/xml, */*+xml such as
//     SVG, XHTML, DASH manifests, TTML, RSS, Atom, RDF) or "xsl";
//   - script: a subtype holding "script" (text/javascript,
//     application/ecmascript, text/jscript, ...);
//   - multipart/*: browsers render each part of x-mixed-replace by its own
//     type, HTML included;
//   - a missing or malformed type, which a browser may sniff.
//
// Left out on purpose: PDF (its scripts run inside the viewer, PDFium or
// pdf.js, not as a page of the domain, and built-in viewers may refuse to
// show a document served sandboxed), WebVTT and other text, images other
// than SVG, media, JSON.
//
// A header that names several types ("image/png, text/html", or two
// Content-Type fields, which a browser reads as one list and takes the last
// valid type of) is active when any of them is.
func isActive(contentTypes ...string) bool {
	if len(contentTypes) == 0 {
		return true
	}
	for _, ct := range contentTypes {
		for t := range strings.SplitSeq(ct, ",") {
			if activeType(t) {
				return true
			}
		}
	}
	return false
}

func activeType(t string) bool {
	mt, _, _ := strings.Cut(t, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return true
	}
	if typ == "multipart" {
		return true
	}
	for _, family := range []string{"html", "xml", "xsl", "script"} {
		if strings.Contains(sub, family) {
			return true
		}
	}
	return false
}

// isToken reports whether s is a non-empty RFC 9110 token, the syntax of
// a media type's type and subtype.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// setNoSniff makes browsers take the Content-Type as it is: without it a
// file served as text/plain or application/octet-stream could be sniffed
// as HTML and run. Every answer of an origin carries it, refusals too.
func setNoSniff(h http.Header) { h.Set("X-Content-Type-Options", "nosniff") }

// sandboxActive adds a CSP sandbox to an answer whose type could run
// script (see isActive). An upstream's own Content-Security-Policy is
// kept: a browser enforces every policy it gets.
func sandboxActive(h http.Header) {
	if isActive(h.Values("Content-Type")...) {
		h.Add("Content-Security-Policy", "sandbox")
	}
}
