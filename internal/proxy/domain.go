package proxy

// This file owns custom domains: hostnames that serve one bucket at
// their root, their records and admin API, and the router that claims a
// request by its Host header.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/store"
)

// DomainKind is the record-store kind of custom domains.
const DomainKind = "domains"

// Domain is one custom domain's record.
type Domain struct {
	ID      string    `json:"id"`
	Domain  string    `json:"domain"`
	Bucket  string    `json:"bucket"`
	Created time.Time `json:"created"`
}

// DomainIDOf is the id of the record of a normalised hostname. Deriving the id
// from the name makes "one record per hostname" a property of the store's
// atomic Create, on every instance at once, and lets a request find its
// domain with one map lookup.
func DomainIDOf(host string) string {
	sum := sha256.Sum256([]byte(host))
	return "dom_" + hex.EncodeToString(sum[:10])
}

// NormalizeDomain checks a hostname given to the admin API and returns it in
// lower case without a trailing dot.
func NormalizeDomain(name string) (string, error) {
	h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	switch {
	case h == "":
		return "", errors.New(`field "domain" is required: a hostname such as media.example.com`)
	case strings.Contains(h, ":") || strings.Contains(h, "/"):
		return "", fmt.Errorf("domain %q must be a bare hostname, without scheme, port or path", name)
	case len(h) > 253:
		return "", fmt.Errorf("domain %q is longer than 253 characters", name)
	case net.ParseIP(h) != nil:
		return "", fmt.Errorf("domain %q is an IP address; a custom domain is a hostname", name)
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return "", fmt.Errorf("domain %q must have at least two labels, such as media.example.com", name)
	}
	for _, l := range labels {
		if !validLabel(l) {
			return "", fmt.Errorf("domain %q is not a valid hostname: each label is 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen (use punycode for international names)", name)
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("domain %q: the last label must not be numeric", name)
	}
	return h, nil
}

func validLabel(l string) bool {
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

// HostOf returns the hostname of a Host header: port stripped, lower case,
// trailing dot dropped.
func HostOf(hostHeader string) string {
	h := hostHeader
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}

// DomainRepo is the cached view of custom domains.
type DomainRepo struct{ *store.Collection[Domain] }

// NewDomainRepo returns the custom domains of s.
func NewDomainRepo(s store.Store) *DomainRepo {
	return &DomainRepo{store.NewCollection[Domain](s, DomainKind)}
}

// ForHost returns the domain record of a normalised hostname.
func (r *DomainRepo) ForHost(ctx context.Context, host string) (Domain, bool, error) {
	d, err := r.Get(ctx, DomainIDOf(host))
	if errors.Is(err, store.ErrNotFound) {
		return Domain{}, false, nil
	}
	if err != nil {
		return Domain{}, false, err
	}
	return d, d.Domain == host, nil
}
