package tlsserve

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/server/fastlane"
)

// Route names of Front's answers, in metrics and access logs.
const (
	ChallengeRouteName = "acme-challenge"
	RedirectRouteName  = "https-redirect"
)

// ChallengePrefix is the path of ACME HTTP-01 challenges (RFC 8555 §8.3).
const ChallengePrefix = "/.well-known/acme-challenge/"

// Front is the first router of the HTTP listener (requests without TLS;
// it claims nothing on the HTTPS listener):
//
//   - with ACME, every path under ChallengePrefix: the HTTP-01 challenge
//     under way for the host, from this instance or any other sharing the
//     storage, else 404 (a host ACME may not serve is not even looked up);
//   - with Redirect, GET and HEAD of a host the HTTPS listener has a
//     certificate for: 308 to the same URL in https, on HTTPSPort. Never
//     the challenge path, and never /healthz, /readyz or /metrics of the
//     gateway's own routes (on a custom domain, every path is a file of
//     its bucket and is redirected). Other methods are served as they are.
type Front struct {
	Manager  *Manager
	Redirect bool
	// HTTPSPort is the HTTPS listener's port; "443" is left out of the
	// redirect's URL.
	HTTPSPort string
	// IsDomain reports whether host is a registered custom domain.
	IsDomain func(ctx context.Context, host string) bool
}

var (
	_ server.Router     = (*Front)(nil)
	_ server.FastRouter = (*Front)(nil)
)

type claim int

const (
	none claim = iota
	challenge
	redirect
)

// Route claims a plain-HTTP request as a challenge or a redirect.
func (f *Front) Route(r *http.Request) (http.Handler, string) {
	if r.TLS != nil {
		return nil, ""
	}
	switch f.claim(r.Context(), r.Method, r.Host, r.URL.Path) {
	case challenge:
		return server.HandlerFunc(f.answerChallenge), ChallengeRouteName
	case redirect:
		return http.HandlerFunc(f.redirect), RedirectRouteName
	}
	return nil, ""
}

// FastRoute leaves Front's requests to net/http; the lane only ever sees
// the HTTP listener's.
func (f *Front) FastRoute(req *fastlane.Request, _ *fastlane.Response) (string, fastlane.Verdict) {
	switch f.claim(context.Background(), req.Method, req.Host, req.Path) {
	case challenge:
		return ChallengeRouteName, fastlane.Slow
	case redirect:
		return RedirectRouteName, fastlane.Slow
	}
	return "", fastlane.Pass
}

func (f *Front) claim(ctx context.Context, method, hostHeader, path string) claim {
	m := f.Manager
	if m.acme != nil && strings.HasPrefix(path, ChallengePrefix) {
		return challenge
	}
	if !f.Redirect || (method != http.MethodGet && method != http.MethodHead) {
		return none
	}
	host := hostOf(hostHeader)
	if host == "" || strings.HasPrefix(path, ChallengePrefix) {
		return none
	}
	if healthPath(path) && !f.isDomain(ctx, host) {
		return none
	}
	if !m.Serves(ctx, host) {
		return none
	}
	return redirect
}

func (f *Front) isDomain(ctx context.Context, host string) bool {
	return f.IsDomain != nil && f.IsDomain(ctx, host)
}

func healthPath(p string) bool { return p == "/healthz" || p == "/readyz" || p == "/metrics" }

func (f *Front) answerChallenge(w http.ResponseWriter, r *http.Request) error {
	m := f.Manager
	if m.decide(r.Context(), hostOf(r.Host)) == nil && m.acme.answerHTTP01(w, r) {
		return nil
	}
	return server.NotFound("no ACME challenge under way for this host and token")
}

func (f *Front) redirect(w http.ResponseWriter, r *http.Request) {
	host := hostOf(r.Host)
	switch {
	case f.HTTPSPort != "" && f.HTTPSPort != "443":
		host = net.JoinHostPort(host, f.HTTPSPort)
	case strings.Contains(host, ":"):
		host = "[" + host + "]"
	}
	w.Header().Set("Location", "https://"+host+r.URL.RequestURI())
	w.WriteHeader(http.StatusPermanentRedirect)
}

// hostOf is the host name of a Host header: port and brackets stripped,
// lower case, without a trailing dot (as proxy.HostOf).
func hostOf(hostHeader string) string {
	h := hostHeader
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}
