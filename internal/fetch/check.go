package fetch

import (
	"errors"
	"net/netip"
)

// CheckAddr returns nil when a may be dialled for a user-supplied URL under
// p, else an error giving the reason. Other packages that dial on a user's
// behalf outside a Client (the browser's page proxy) use it so that every
// dial in the gateway obeys the same rules.
func (p Policy) CheckAddr(a netip.Addr) error {
	if ok, reason := addrAllowed(a, normalisePrefixes(p.AllowCIDRs)); !ok {
		return errors.New("address not allowed: " + reason)
	}
	return nil
}

// TrustsHost reports whether host is one of the operator's AllowHosts, which
// may be dialled whatever they resolve to.
func (p Policy) TrustsHost(host string) bool {
	return p.withDefaults().hostAllowed(host)
}
