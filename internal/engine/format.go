package engine

import (
	"path"
	"strings"
)

// formatAliases maps the spellings users and SDKs send to the one name the
// registry knows, so "jpeg" and "JPG" find the same engine.
var formatAliases = map[string]string{
	"jpeg": "jpg",
	"jpe":  "jpg",
	"tif":  "tiff",
	"tgz":  "tar.gz",
	"htm":  "html",
}

// NormalizeFormat returns the canonical name of a format: lower case, without
// a leading dot, with aliases resolved ("JPEG" and ".jpg" give "jpg").
func NormalizeFormat(format string) string {
	f := strings.ToLower(strings.TrimSpace(format))
	f = strings.TrimPrefix(f, ".")
	if a, ok := formatAliases[f]; ok {
		return a
	}
	return f
}

// compoundExts are multi-part extensions that name one format; FormatOf must
// not see "archive.tar.gz" as gz.
var compoundExts = []string{".tar.gz", ".tar.bz2", ".tar.xz"}

// SplitExt splits a file name into its stem and extension (with the dot),
// keeping compound extensions such as ".tar.gz" whole. A leading dot
// (".profile") is part of the stem, not an extension.
func SplitExt(name string) (stem, ext string) {
	lower := strings.ToLower(name)
	for _, c := range compoundExts {
		if strings.HasSuffix(lower, c) && len(name) > len(c) {
			return name[:len(name)-len(c)], name[len(name)-len(c):]
		}
	}
	ext = path.Ext(name)
	if ext == name || ext == "." {
		return name, ""
	}
	return name[:len(name)-len(ext)], ext
}

// FormatOf returns the normalised format of a file name by its extension,
// or "" when it has none. Both / and \ count as separators, since names come
// from users on any system.
func FormatOf(filename string) string {
	base := filename
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	_, ext := SplitExt(base)
	return NormalizeFormat(ext)
}
