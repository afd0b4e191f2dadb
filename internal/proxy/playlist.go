package proxy

// This file owns rewriting HLS playlists so that every child a player
// fetches (media segments, variant playlists, keys, init sections) carries
// the viewer's delivery token. Players resolve a playlist's relative URIs
// against the playlist's URL but drop its query, so without this a playlist
// opened with ?auth= would load and every segment after it would be refused.

import (
	"bytes"
	"net/url"
	"strings"
)

// TokenParam is the query parameter that carries the delivery token.
const TokenParam = "auth"

// RewritePlaylist returns body with ?auth=<token> (or &auth= when the URI
// already has a query) added to every relative child URI: the URI lines
// (segments and variant playlists) and the URI="..." attributes of tags
// (EXT-X-KEY, EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, ...). A
// relative URI that already has an auth parameter gets the new token
// instead, so rewriting twice gives the same result. URIs that a player
// could resolve to another host, or that have a scheme (another server,
// data:, skd:), are left as they are (see sameHost): the token is never
// handed to another host. So is a body that is not a playlist (no #EXTM3U
// first line), or any body when the token is empty. Line endings are kept.
func RewritePlaylist(body []byte, token string) []byte {
	if token == "" || !isPlaylistBody(body) {
		return body
	}
	param := TokenParam + "=" + url.QueryEscape(token)
	out := make([]byte, 0, len(body)+len(param)*bytes.Count(body, []byte{'\n'}))
	if bytes.HasPrefix(body, bom) {
		out = append(out, bom...)
		body = body[len(bom):]
	}
	for len(body) > 0 {
		line, rest, found := bytes.Cut(body, []byte{'\n'})
		body = rest
		text, eol := trimEOL(line)
		out = append(out, rewriteLine(text, param)...)
		out = append(out, eol...)
		if found {
			out = append(out, '\n')
		}
	}
	return out
}

var bom = []byte("\xef\xbb\xbf")

func isPlaylistBody(body []byte) bool {
	body = bytes.TrimPrefix(body, bom)
	return bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("#EXTM3U"))
}

func trimEOL(line []byte) (text, eol []byte) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1], line[n-1:]
	}
	return line, nil
}

func rewriteLine(line []byte, param string) []byte {
	trimmed := bytes.TrimSpace(line)
	switch {
	case len(trimmed) == 0:
		return line
	case bytes.HasPrefix(trimmed, []byte("#EXT")):
		return rewriteTag(line, param)
	case trimmed[0] == '#':
		return line // a comment
	}
	start := bytes.Index(line, trimmed)
	uri := withToken(string(trimmed), param)
	res := make([]byte, 0, len(line)+len(param)+1)
	res = append(res, line[:start]...)
	res = append(res, uri...)
	return append(res, line[start+len(trimmed):]...)
}

// rewriteTag rewrites the URI attribute of a tag's attribute list
// ("#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\",IV=0x..."). Quoted values may
// hold commas, so the list is scanned rather than split.
func rewriteTag(line []byte, param string) []byte {
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return line
	}
	for i := colon + 1; i < len(line); {
		eq := bytes.IndexByte(line[i:], '=')
		if eq < 0 {
			return line
		}
		name := string(bytes.TrimSpace(line[i : i+eq]))
		v := i + eq + 1 // start of the value
		next := v
		if v < len(line) && line[v] == '"' {
			end := bytes.IndexByte(line[v+1:], '"')
			if end < 0 {
				return line // unterminated quote: leave the tag alone
			}
			closing := v + 1 + end
			if name == "URI" {
				// A well-formed tag has one URI attribute.
				uri := withToken(string(line[v+1:closing]), param)
				res := make([]byte, 0, len(line)+len(param)+1)
				res = append(res, line[:v+1]...)
				res = append(res, uri...)
				return append(res, line[closing:]...)
			}
			next = closing + 1
		}
		comma := bytes.IndexByte(line[next:], ',')
		if comma < 0 {
			return line
		}
		i = next + comma + 1
	}
	return line
}

// withToken adds the token parameter to uri when a player would fetch uri
// from the playlist's own host (see sameHost), replacing any auth
// parameter it already has. Every other URI is left as it is.
func withToken(uri, param string) string {
	if uri == "" || !sameHost(uri) {
		return uri
	}
	base, frag, hasFrag := strings.Cut(uri, "#")
	p, query, _ := strings.Cut(base, "?")
	var kept []string
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		if name, _, _ := strings.Cut(kv, "="); name == TokenParam {
			continue
		}
		kept = append(kept, kv)
	}
	kept = append(kept, param)
	out := p + "?" + strings.Join(kept, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
