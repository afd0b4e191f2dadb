// Package cors owns cross-origin resource sharing (CORS) for the gateway's
// read endpoints and, later, its write endpoints: the rule an operator
// gives a bucket or a signed-URL base (which origins may read, with or
// without credentials, and how long a browser may remember a preflight),
// its validation, and the headers of the answers to actual and preflight
// requests.
//
// A Rule says who may make cross-origin requests; an Endpoint says what
// they may do there (methods, request headers, the response headers
// scripts may read). Every endpoint answers with the same Endpoint methods,
// so bucket delivery, custom domains and signed conversion links cannot
// drift apart.
//
// What a grant looks like, and why:
//
//   - Access-Control-Allow-Origin is the request's own origin, copied from
//     the rule (never from the request), or "*" for a wildcard rule: never
//     a list, which browsers reject.
//   - Vary: Origin goes on every answer of a resource that has a rule,
//     granted or not, so that a shared cache never hands an answer made
//     for one origin (or for none) to another.
//   - "*" cannot go with credentials: browsers refuse that pair, and an
//     echo of any origin with credentials would let every site read what a
//     viewer's cookie opens.
package cors

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Wildcard allows every origin, without credentials.
const Wildcard = "*"

// Bounds of a rule.
const (
	// MaxOrigins bounds allowed_origins: a rule is checked on every
	// request, and a longer list is a sign that a wildcard was meant.
	MaxOrigins = 100
	// DefaultMaxAge is the preflight lifetime when the rule names none.
	DefaultMaxAge = 600
	// MaxMaxAge is the longest preflight lifetime accepted: one day, what
	// Firefox honours at most (Chromium stops at two hours).
	MaxMaxAge    = 86400
	maxOriginLen = 300
)

// Rule is the CORS rule of a bucket or a signed-URL base, as the admin API
// takes and shows it.
type Rule struct {
	// AllowedOrigins are serialised origins (scheme://host[:port]), or the
	// single entry "*".
	AllowedOrigins []string `json:"allowed_origins"`
	// AllowCredentials lets cross-origin requests carry cookies (the
	// playlist cookie of bucket delivery) and read the answer.
	AllowCredentials bool `json:"allow_credentials"`
	// MaxAge is how long, in seconds, a browser may reuse a preflight's
	// answer; nil takes DefaultMaxAge.
	MaxAge *int `json:"max_age,omitempty"`
}

// Normalize checks r and rewrites it in canonical form: origins normalised
// (see NormalizeOrigin) and without duplicates, MaxAge set. It returns an
// *Error with code CodeInvalid when r cannot be accepted.
func (r *Rule) Normalize() error {
	n := len(r.AllowedOrigins)
	switch {
	case n == 0:
		return invalid(`cors.allowed_origins needs at least one origin, such as "https://player.example.com", or "*"; leave "cors" out for no CORS`)
	case n > MaxOrigins:
		return invalid("cors.allowed_origins has %d entries; at most %d are accepted (use \"*\" to allow every origin)", n, MaxOrigins)
	}
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for _, o := range r.AllowedOrigins {
		if o == Wildcard {
			if n > 1 {
				return invalid(`cors.allowed_origins: "*" allows every origin and must stand alone`)
			}
			if r.AllowCredentials {
				return invalid(`cors: "*" cannot go with allow_credentials: browsers refuse credentialed answers to "*"; list the origins instead`)
			}
			out = append(out, Wildcard)
			continue
		}
		norm, err := NormalizeOrigin(o)
		if err != nil {
			return invalid("cors.allowed_origins: %v", err)
		}
		if !seen[norm] {
			seen[norm] = true
			out = append(out, norm)
		}
	}
	r.AllowedOrigins = out
	if r.MaxAge == nil {
		d := DefaultMaxAge
		r.MaxAge = &d
	}
	if *r.MaxAge < 0 || *r.MaxAge > MaxMaxAge {
		return invalid("cors.max_age is %d; use 0 to %d seconds", *r.MaxAge, MaxMaxAge)
	}
	return nil
}

// allows returns the allowed origin equal to origin, "*" for a wildcard
// rule, or "" when origin is not allowed. Browsers send origins serialised
// (lower case, punycode, no default port), as NormalizeOrigin stores them,
// so the comparison is exact: nothing of the request is normalised, and
// what a grant echoes comes from the rule. "null" matches only "*"
// (NormalizeOrigin refuses it in a list).
func (r *Rule) allows(origin string) string {
	if origin == "" {
		return ""
	}
	for _, o := range r.AllowedOrigins {
		if o == Wildcard || o == origin {
			return o
		}
	}
	return ""
}

// NormalizeOrigin checks an origin given to the admin API and returns it
// serialised as browsers send it in the Origin header: an http or https
// scheme and a host, both in lower case, a port only when it is not the
// scheme's default, and nothing else (a single trailing "/" is dropped;
// any other path, a query, a fragment or credentials are refused). Hosts
// are DNS names (international ones in punycode, as browsers send them),
// IPv4 addresses or bracketed IPv6 addresses. "null", the origin of
// sandboxed frames and local files, is refused: any page can make itself
// one.
func NormalizeOrigin(s string) (string, error) {
	if len(s) > maxOriginLen {
		return "", fmt.Errorf("origin %.40q... is longer than %d characters", s, maxOriginLen)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	scheme = strings.ToLower(scheme)
	if !ok || (scheme != "http" && scheme != "https") {
		return "", fmt.Errorf("origin %q must be http:// or https:// followed by a host, such as https://player.example.com", s)
	}
	rest = strings.TrimSuffix(rest, "/")
	if strings.ContainsAny(rest, "/?#@\\") {
		return "", fmt.Errorf("origin %q must be scheme://host[:port] only: no path, query, fragment or credentials", s)
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i:], "]") {
		host, port = rest[:i], rest[i+1:]
		if port == "" {
			return "", fmt.Errorf("origin %q has an empty port", s)
		}
	}
	host = strings.ToLower(host)
	if err := checkHost(host); err != nil {
		return "", fmt.Errorf("origin %q: %v", s, err)
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 || port[0] == '0' || port[0] == '+' {
			return "", fmt.Errorf("origin %q: the port must be a number from 1 to 65535", s)
		}
		if (scheme == "http" && p == 80) || (scheme == "https" && p == 443) {
			port = ""
		}
	}
	out := scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// checkHost accepts a lower-case DNS name, IPv4 address or bracketed IPv6
// address, each spelt as browsers serialise it.
func checkHost(h string) error {
	if inner, ok := strings.CutPrefix(h, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		ip := net.ParseIP(inner)
		if !ok || ip == nil || !strings.Contains(inner, ":") {
			return fmt.Errorf("%q is not a bracketed IPv6 address", h)
		}
		if ip.String() != inner {
			return fmt.Errorf("write the IPv6 address as browsers do: [%s]", ip)
		}
		return nil
	}
	if h == "" || len(h) > 253 {
		return fmt.Errorf("the host must be 1 to 253 characters")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !dnsLabel(l) {
			return fmt.Errorf("host %q is not a DNS name (use punycode, xn--..., for international names)", h)
		}
	}
	// A name whose last label is numeric is an IPv4 address to a browser,
	// which sends it in dotted-decimal form ("127.1" as "127.0.0.1").
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		if ip := net.ParseIP(h); ip == nil || ip.To4() == nil || ip.String() != h {
			return fmt.Errorf("host %q is not an IPv4 address in dotted-decimal form", h)
		}
	}
	return nil
}

func dnsLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
