package proxy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sameHost reports whether a player resolving uri against the playlist's
// http(s) URL stays on the playlist's host, by the WHATWG URL rules that
// browsers apply to URLs of special schemes (every fetch of a player
// running in a page goes through them):
//
//   - leading and trailing C0 controls and spaces are stripped, and tabs,
//     CR and LF are removed anywhere ("\t//evil" and "/\t/evil" are
//     "//evil");
//   - a backslash counts as a slash, so "/\evil", "\\evil" and "\/evil" name
//     the host evil exactly like "//evil";
//   - anything that starts with a scheme ("https:", "data:", "skd:") is
//     another URL, even "https:evil/x", which a browser resolves against an
//     https playlist as a relative path: treating it as foreign only costs a
//     token that a well-formed playlist never needs there.
//
// Everything else (a path, "/abs/path", "../a", "?q=1", "#f") resolves on
// the playlist's host. The token goes to such URIs only: given to another
// host it would be handed to whoever runs that host, and anyone able to
// put a URI into a playlist (an encoder's configuration, an uploaded
// stream) could collect viewers' tokens.
//
// Two refusals go beyond the WHATWG rules, for players whose URL parsers
// trim more than browsers do: a URI whose first character (after the C0
// stripping) is any other Unicode space or format character, or is not
// valid UTF-8, is treated as foreign.
func sameHost(uri string) bool {
	s := strings.TrimFunc(uri, isC0OrSpace)
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s)
	}
	if s == "" {
		return true // the playlist itself
	}
	if hasScheme(s) {
		return false
	}
	if len(s) >= 2 && isSlash(s[0]) && isSlash(s[1]) {
		return false // "//host", "\\host", "/\host", "\/host": an authority follows
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return false
	}
	return !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r)
}

// isC0OrSpace is what the WHATWG URL parser strips from both ends of its
// input: U+0000 to U+0020.
func isC0OrSpace(r rune) bool { return r <= 0x20 }

func isSlash(c byte) bool { return c == '/' || c == '\\' }

// hasScheme reports whether s starts with a URL scheme and its colon: an
// ASCII letter, then letters, digits, "+", "-" or ".", then ":".
func hasScheme(s string) bool {
	if !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			return true
		case isAlpha(c) || ('0' <= c && c <= '9') || c == '+' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return false
}

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
