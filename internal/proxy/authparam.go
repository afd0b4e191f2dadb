package proxy

import (
	"net/http"
	"net/url"
	"strings"
)

// CookieName is the cookie that carries a token to the segments of a
// playlist opened with ?auth=.
const CookieName = "gateway_auth"

// queryToken finds the auth parameter in a raw query and returns its value
// and the query without it. The scan is by hand, not url.ParseQuery: that
// refuses a whole query over one bad pair (a stray ';' or '%'), which would
// let an unrelated parameter hide the token or carry it to the origin.
// Both '&' and ';' separate pairs here, since some origins split on ';':
// a token after one must be found and stripped, not forwarded.
//
// found is false when no auth pair has a value. ambiguous is true when
// pairs disagree, so that no cache or origin can be made to read another
// value than the one verified.
func queryToken(raw string) (tok, rest string, found, ambiguous bool) {
	if raw == "" {
		return "", "", false, false
	}
	var kept strings.Builder
	sep := byte(0) // separator before the current piece
	start := 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && raw[i] != '&' && raw[i] != ';' {
			continue
		}
		piece := raw[start:i]
		if isAuthPair(piece) {
			_, v, _ := strings.Cut(piece, "=")
			if val, err := url.QueryUnescape(v); err != nil {
				ambiguous = true
			} else if val != "" {
				if found && val != tok {
					ambiguous = true
				}
				tok, found = val, true
			}
		} else if piece != "" {
			if kept.Len() > 0 && sep != 0 {
				kept.WriteByte(sep)
			}
			kept.WriteString(piece)
		}
		if i < len(raw) {
			sep = raw[i]
		}
		start = i + 1
	}
	return tok, kept.String(), found, ambiguous
}

// isAuthPair reports whether a query piece is an auth pair, also when its
// name is percent-encoded ("%61uth"), which an origin would decode.
func isAuthPair(piece string) bool {
	name, _, _ := strings.Cut(piece, "=")
	if name == "auth" {
		return true
	}
	if !strings.ContainsAny(name, "%+") {
		return false
	}
	dec, err := url.QueryUnescape(name)
	return err == nil && dec == "auth"
}

// cookieTokens returns the values of the auth cookie, most specific path
// first as browsers send them, at most max of them.
func cookieTokens(r *http.Request, max int) []string {
	var out []string
	for _, c := range r.CookiesNamed(CookieName) {
		if c.Value != "" && len(out) < max {
			out = append(out, c.Value)
		}
	}
	return out
}

// stripCookie removes the auth cookie from h's Cookie headers and keeps
// every other cookie exactly as sent.
func stripCookie(h http.Header) {
	lines := h.Values("Cookie")
	if len(lines) == 0 {
		return
	}
	var keep []string
	for _, line := range lines {
		for _, part := range strings.Split(line, ";") {
			p := strings.TrimSpace(part)
			if p == "" {
				continue
			}
			name, _, _ := strings.Cut(p, "=")
			if strings.TrimSpace(name) == CookieName {
				continue
			}
			keep = append(keep, p)
		}
	}
	h.Del("Cookie")
	if len(keep) > 0 {
		h.Set("Cookie", strings.Join(keep, "; "))
	}
}
