package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
)

// The Client's rules for other clients: some features reach hosts a user
// chose through a client of their own (the AWS SDK for a job's S3
// endpoint). They take the Client's dialer and its size cap from here, so
// every connection the gateway makes on a user's behalf obeys one policy.

// GuardTransport makes t connect as the Client does: through the policy's
// dialer, which checks every address it connects to after DNS, on every
// hop, and never through a proxy, which would do the dialling in its place
// and leave only the proxy's address to check.
func (c *Client) GuardTransport(t *http.Transport) {
	t.DialContext = c.dial
	// A TLS dial hook would take over https connections from DialContext.
	t.DialTLSContext = nil
	t.Proxy = nil
}

// CheckHost reports whether the policy lets the Client connect to host (a
// URL's host without port, after IDNA): a host the operator trusts by name,
// or one whose every address is allowed. A caller that hands a user's host
// to another client checks it first, so that a refused host fails clearly
// and before any request is sent; the guarded transport still checks each
// dial, which is what stops a name that resolves elsewhere the second time.
// The error is an *Error: FORBIDDEN_ADDRESS, INVALID_URL for an empty host,
// or FETCH_FAILED when host does not resolve.
func (c *Client) CheckHost(ctx context.Context, host string) error {
	if host == "" {
		return newError(CodeInvalidURL, nil, "the URL has no host")
	}
	if c.p.hostAllowed(host) {
		return nil
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, c.p.ConnectTimeout)
		defer cancel()
		if addrs, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			return newError(CodeFetchFailed, err, "the host %q could not be resolved", host)
		}
	}
	for _, a := range addrs {
		if ok, reason := addrAllowed(a, c.p.AllowCIDRs); !ok {
			return forbiddenHost(&forbiddenAddrError{reason: reason}, host)
		}
	}
	return nil
}

// Forbidden returns the FORBIDDEN_ADDRESS error for err when err is, or
// wraps, a refusal of the policy: CheckHost's, or a guarded dial's however
// deeply another client wrapped it. host names the host for the message.
func Forbidden(err error, host string) (*Error, bool) {
	var fe *Error
	if errors.As(err, &fe) && fe.code == CodeForbiddenAddress {
		return fe, true
	}
	var fa *forbiddenAddrError
	if errors.As(err, &fa) {
		return forbiddenHost(err, host), true
	}
	return nil, false
}

func forbiddenHost(cause error, host string) *Error {
	return newError(CodeForbiddenAddress, cause,
		"connecting to %q is not allowed: it resolves to a non-public address", host)
}

// MaxBytes is the policy's cap on the size of one download; negative means
// none.
func (c *Client) MaxBytes() int64 { return c.p.MaxBytes }
