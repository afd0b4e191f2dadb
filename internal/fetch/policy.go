package fetch

import (
	"net/netip"
	"strings"
	"time"
)

// Defaults applied by NewClient to zero Policy fields.
const (
	DefaultMaxRedirects   = 5
	DefaultMaxBytes       = 1 << 30 // 1 GiB
	DefaultTimeout        = 5 * time.Minute
	DefaultConnectTimeout = 10 * time.Second
	DefaultHeaderTimeout  = 30 * time.Second
	DefaultUserAgent      = "signedgate-fetch/1"
)

// Policy says what a Client may fetch. The zero value is safe: only public
// addresses, at most DefaultMaxRedirects redirects, DefaultMaxBytes bytes.
type Policy struct {
	// AllowCIDRs lets operators reach internal origins by address: a dialled
	// IP inside any of these prefixes is allowed even if it is private.
	AllowCIDRs []netip.Prefix
	// AllowHosts lets operators reach internal origins by name: a URL whose
	// host equals an entry (case-insensitive, after IDNA, so international
	// names must be given in punycode) may be dialled whatever it resolves
	// to. A redirect away from such a host is checked on its own merits.
	AllowHosts []string
	// MaxRedirects is the number of redirects followed. Zero means
	// DefaultMaxRedirects; negative means none.
	MaxRedirects int
	// MaxBytes caps the response body. Zero means DefaultMaxBytes; negative
	// means no cap.
	MaxBytes int64
	// Timeout bounds the whole fetch, body included. Zero means DefaultTimeout.
	Timeout time.Duration
	// ConnectTimeout bounds each TCP connect. Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers once the request is
	// sent, so a server cannot hold a connection open for the whole Timeout
	// before answering. Zero means DefaultHeaderTimeout.
	HeaderTimeout time.Duration
	// UserAgent is sent unless the caller passes its own. Zero means
	// DefaultUserAgent.
	UserAgent string
}

func (p Policy) withDefaults() Policy {
	if p.MaxRedirects == 0 {
		p.MaxRedirects = DefaultMaxRedirects
	}
	if p.MaxRedirects < 0 {
		p.MaxRedirects = 0
	}
	if p.MaxBytes == 0 {
		p.MaxBytes = DefaultMaxBytes
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.ConnectTimeout <= 0 {
		p.ConnectTimeout = DefaultConnectTimeout
	}
	if p.HeaderTimeout <= 0 {
		p.HeaderTimeout = DefaultHeaderTimeout
	}
	if p.UserAgent == "" {
		p.UserAgent = DefaultUserAgent
	}
	p.AllowCIDRs = normalisePrefixes(p.AllowCIDRs)
	hosts := make([]string, 0, len(p.AllowHosts))
	for _, h := range p.AllowHosts {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, strings.ToLower(h))
		}
	}
	p.AllowHosts = hosts
	return p
}

// hostAllowed reports whether host (as it appears in the URL) is an operator
// override. The match is exact: "localhost." and "localhost" differ, so an
// entry never matches more than the operator wrote.
func (p Policy) hostAllowed(host string) bool {
	host = strings.ToLower(host)
	for _, h := range p.AllowHosts {
		if h == host {
			return true
		}
	}
	return false
}
