package fetch

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// controlFunc returns a net.Dialer Control hook that refuses forbidden
// addresses. Control runs after DNS resolution, once per address tried, just
// before connect(2), and sees the literal ip:port. Checking there rather than
// on the URL is what defeats DNS rebinding (a name that resolves publicly
// when checked and privately when dialled), hostnames that resolve to
// private ranges, and redirects to any of these: every hop is a new dial.
func controlFunc(allow []netip.Prefix) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &forbiddenAddrError{reason: "unparseable address"}
		}
		if ok, reason := addrAllowed(ap.Addr(), allow); !ok {
			return &forbiddenAddrError{reason: reason}
		}
		return nil
	}
}

// dialFunc dials as the policy allows: every address after DNS is checked,
// except for the hosts the operator trusts by name.
func dialFunc(p Policy) func(ctx context.Context, network, addr string) (net.Conn, error) {
	guarded := &net.Dialer{
		Timeout:   p.ConnectTimeout,
		KeepAlive: 30 * time.Second,
		Control:   controlFunc(p.AllowCIDRs),
	}
	// Hosts named in AllowHosts are trusted by name, whatever they resolve
	// to, so they get a dialer without the address check.
	trusted := &net.Dialer{Timeout: p.ConnectTimeout, KeepAlive: 30 * time.Second}

	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		// With Proxy nil, addr is the host:port of the URL being requested
		// (after IDNA), so this decision is made per hop. Connections are
		// pooled by that same host:port, so a connection opened for a trusted
		// name is never reused for another name.
		host, _, err := net.SplitHostPort(addr)
		if err == nil && p.hostAllowed(host) {
			return trusted.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

// newTransport builds the Client's dedicated transport.
func newTransport(p Policy, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Transport {
	return &http.Transport{
		// Never a proxy: the proxy would do the dialling, and the address
		// check would only ever see the proxy's address.
		Proxy:                 nil,
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   p.ConnectTimeout,
		ResponseHeaderTimeout: p.HeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          64,
		IdleConnTimeout:       90 * time.Second,
		// The file is stored as served; transparent gunzip would change its
		// bytes and hide the wire size from Content-Length checks.
		DisableCompression: true,
	}
}
