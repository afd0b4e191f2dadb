package fetch

import (
	"mime"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// FallbackFileName is used when neither the response nor the URL yields
	// a usable name.
	FallbackFileName = "file"
	// maxFileNameBytes is the common file system limit (ext4, APFS, NTFS in
	// UTF-16 units is larger), so a stored name always fits.
	maxFileNameBytes = 255
	// maxExtBytes bounds the extension kept intact when a name is shortened;
	// longer "extensions" are just long names with a dot in them.
	maxExtBytes = 16
)

// FileName derives the name of a fetched file: the Content-Disposition
// filename (filename* in UTF-8 preferred over filename), else the last path
// segment of the final URL, percent-decoded, else FallbackFileName. The
// result is always sanitised. A name chosen by the caller takes precedence
// over both; callers pass it through SanitizeFileName themselves.
func FileName(contentDisposition string, final *url.URL) string {
	if contentDisposition != "" {
		// mime.ParseMediaType decodes RFC 2231/5987 filename* and prefers it
		// over filename, which is the order RFC 6266 asks for.
		if _, params, err := mime.ParseMediaType(contentDisposition); err == nil {
			if name := sanitize(params["filename"]); name != "" {
				return name
			}
		}
	}
	if final != nil {
		// Split the escaped path so an encoded %2F stays inside its segment;
		// sanitize then removes the decoded slash.
		p := final.EscapedPath()
		seg := p[strings.LastIndexByte(p, '/')+1:]
		if dec, err := url.PathUnescape(seg); err == nil {
			if name := sanitize(dec); name != "" {
				return name
			}
		}
	}
	return FallbackFileName
}

// SanitizeFileName makes any string safe to use as a single file name in a
// local directory, a storage key or a Content-Disposition header: base name
// only; no '/', '\\', NUL, control or invisible formatting characters; no
// "..", no leading dot; at most 255 bytes of valid UTF-8. It returns
// FallbackFileName when nothing usable is left.
func SanitizeFileName(name string) string {
	if s := sanitize(name); s != "" {
		return s
	}
	return FallbackFileName
}

func sanitize(name string) string {
	name = strings.ToValidUTF8(name, "_")
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		switch {
		// Control characters break headers and logs (CR, LF) and C strings
		// (NUL). Format characters include the bidi overrides (U+202E) used
		// to make "exe.txt" display as "txt.exe".
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		// Reserved on Windows and in quoted header parameters.
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		case r == '\\':
			b.WriteByte('/')
		default:
			b.WriteRune(r)
		}
	}
	name = b.String()
	// Only the base name: whoever sent it does not choose our directories.
	name = name[strings.LastIndexByte(name, '/')+1:]
	return tidy(truncate(tidy(name), maxFileNameBytes))
}

// tidy collapses ".." and trims. It runs again after truncate, which can
// join a stem ending in '.' to an extension.
func tidy(name string) string {
	// ".." is collapsed everywhere, not only as a whole name, so that no
	// later join, unquoting or re-encoding step can turn it into a path
	// component. The loop handles runs such as "....".
	for strings.Contains(name, "..") {
		name = strings.ReplaceAll(name, "..", ".")
	}
	// Leading dots make hidden files; trailing dots and spaces are dropped
	// by Windows and confuse extension checks.
	return strings.TrimFunc(name, trimmable)
}

func trimmable(r rune) bool { return r == '.' || unicode.IsSpace(r) }

// truncate shortens name to at most max bytes on a rune boundary, keeping
// a short extension so the file still opens with the right program.
func truncate(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > maxExtBytes {
		ext = ""
	}
	return cutRunes(name[:len(name)-len(ext)], max-len(ext)) + ext
}

func cutRunes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
