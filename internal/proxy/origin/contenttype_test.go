package origin

import "testing"

func TestContentType(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/films/a.mp4", "video/mp4"},
		{"/films/A.MP4", "video/mp4"},
		{"/a.m4v", "video/mp4"},
		{"/a.webm", "video/webm"},
		{"/a.mkv", "video/x-matroska"},
		{"/a.mov", "video/quicktime"},
		{"/hls/index.m3u8", "application/vnd.apple.mpegurl"},
		{"/hls/seg0.ts", "video/mp2t"},
		{"/dash/seg-1.m4s", "video/iso.segment"},
		{"/dash/manifest.mpd", "application/dash+xml"},
		{"/a.mp3", "audio/mpeg"},
		{"/a.m4a", "audio/mp4"},
		{"/a.aac", "audio/aac"},
		{"/a.ogg", "audio/ogg"},
		{"/a.wav", "audio/wav"},
		{"/a.flac", "audio/flac"},
		{"/subs/en.vtt", "text/vtt; charset=utf-8"},
		{"/subs/en.srt", "application/x-subrip"},
		{"/a.jpg", "image/jpeg"},
		{"/a.jpeg", "image/jpeg"},
		{"/a.png", "image/png"},
		{"/a.gif", "image/gif"},
		{"/a.webp", "image/webp"},
		{"/a.avif", "image/avif"},
		{"/a.svg", "image/svg+xml"},
		{"/a.pdf", "application/pdf"},
		{"/a.json", "application/json"},
		{"/a.txt", "text/plain; charset=utf-8"},
		{"/noextension", "application/octet-stream"},
		{"/a.unknown-extension", "application/octet-stream"},
		{"/dir.mp4/file", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := ContentType(tt.path); got != tt.want {
			t.Errorf("ContentType(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestActiveTypesAreSandboxed(t *testing.T) {
	tests := []struct {
		contentType string
		sandboxed   bool
	}{
		// markup
		{"image/svg+xml", true},
		{"text/html; charset=utf-8", true},
		{"TEXT/HTML", true},
		{" text/html ;charset=utf-8", true},
		{"application/xhtml+xml", true},
		{"application/xml", true},
		{"text/xml", true},
		{"application/dash+xml", true},
		{"application/ttml+xml", true},
		{"application/rss+xml", true},
		{"application/atom+xml", true},
		{"application/rdf+xml", true},
		{"application/mathml+xml", true},
		{"application/vnd.mozilla.xul+xml", true},
		{"application/xml-dtd", true},
		{"text/xml-external-parsed-entity", true},
		{"text/xsl", true},
		{"application/xslt+xml", true},
		{"text/x-server-parsed-html", true},
		// script
		{"text/javascript", true},
		{"application/javascript", true},
		{"application/x-javascript", true},
		{"application/ecmascript", true},
		{"text/jscript", true},
		{"text/vbscript", true},
		// multipart, missing, malformed, several
		{"multipart/x-mixed-replace; boundary=x", true},
		{"", true},
		{"html", true},
		{"text/", true},
		{"/html", true},
		{"text/ht ml", true},
		{"image/png, text/html", true},
		{"image/png,text/html", true},
		// not script-capable
		{"video/mp4", false},
		{"application/vnd.apple.mpegurl", false},
		{"video/mp2t", false},
		{"text/vtt; charset=utf-8", false},
		{"text/plain; charset=utf-8", false},
		{"text/css", false},
		{"text/csv", false},
		{"application/json", false},
		{"application/pdf", false},
		{"application/octet-stream", false},
		{"image/png", false},
		{"image/jpeg", false},
		{"audio/mpeg", false},
		{"font/woff2", false},
	}
	for _, tt := range tests {
		if got := isActive(tt.contentType); got != tt.sandboxed {
			t.Errorf("isActive(%q) = %v, want %v", tt.contentType, got, tt.sandboxed)
		}
	}
	// Two Content-Type fields: a browser reads them as one list.
	if !isActive("image/png", "text/html") {
		t.Error(`isActive("image/png", "text/html") = false, want true`)
	}
	if isActive("image/png", "video/mp4") {
		t.Error(`isActive("image/png", "video/mp4") = true, want false`)
	}
}
