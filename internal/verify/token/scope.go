package token

import (
	"strings"
	"unicode/utf8"
)

// InScope reports whether a token whose uri claim is uri opens requestPath.
//
// uri is a directory or a file inside the bucket, with or without leading
// and trailing slashes; "" or "/" opens the whole bucket. Matching ends on a
// path-segment boundary: "/a/b" and "/a/b/" both open "/a/b" and "/a/b/x",
// never "/a/bc".
//
// requestPath is the decoded path inside the bucket exactly as it will be
// served. It must be canonical (see CanonicalPath); anything else is refused
// even under a whole-bucket scope, since the origin might resolve it to a
// place the comparison did not see. A uri that is not canonical opens
// nothing.
func InScope(uri, requestPath string) bool {
	rel, ok := canonicalRel(requestPath)
	if !ok {
		return false
	}
	scope := strings.TrimPrefix(uri, "/")
	if scope == "" {
		return true
	}
	scope = strings.TrimSuffix(scope, "/")
	if !validRel(scope) {
		return false
	}
	if !strings.HasPrefix(rel, scope) {
		return false
	}
	return len(rel) == len(scope) || rel[len(scope)] == '/'
}

// CanonicalPath reports whether p, a decoded path inside a bucket, is one
// that no origin can read differently from how it is written. The leading
// slash is optional and "" or "/" is the bucket root. Refused: empty
// segments ("//", a trailing slash), segments made only of dots ("." and
// ".." but also "..." and "..;x", which Windows and Tomcat-style origins
// fold into ".."), backslashes, control characters including NUL, invalid
// UTF-8 (overlong encodings of "/" and "."), and any remaining %XX escape,
// which would mean the path was encoded twice and a second decode could
// produce a separator or a dot segment.
func CanonicalPath(p string) bool {
	_, ok := canonicalRel(p)
	return ok
}

// canonicalRel returns p without its leading slash when p is canonical.
func canonicalRel(p string) (string, bool) {
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		return "", true
	}
	return rel, validRel(rel)
}

// validRel checks a non-empty relative path segment by segment.
func validRel(rel string) bool {
	if rel == "" || !utf8.ValidString(rel) {
		return false
	}
	for rel != "" {
		seg, rest, more := strings.Cut(rel, "/")
		if !validSegment(seg) || (more && rest == "") {
			return false
		}
		rel = rest
	}
	return true
}

func validSegment(seg string) bool {
	if seg == "" {
		return false
	}
	onlyDots := true
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c < 0x20 || c == 0x7f || c == '\\':
			return false
		case c == '%' && i+2 < len(seg) && isHex(seg[i+1]) && isHex(seg[i+2]):
			return false
		case c == ';' && onlyDots:
			// "..;" is ".." with a path parameter to servlet containers.
			return false
		case c != '.':
			onlyDots = false
		}
	}
	return !onlyDots
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
