package fetch

import "net/netip"

// blockedRange is a range of addresses that must never be dialled for a
// user-supplied URL, with the reason, which appears in logs and tests.
type blockedRange struct {
	prefix netip.Prefix
	reason string
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// blockedV4 lists IPv4 special-purpose ranges (IANA registry, RFC 6890)
// that reach this host, its network, or no real origin at all.
var blockedV4 = []blockedRange{
	{mustPrefix("0.0.0.0/8"), "this-network"},            // RFC 1122: 0.0.0.0 connects to the local host on Linux.
	{mustPrefix("10.0.0.0/8"), "private"},                // RFC 1918: internal services.
	{mustPrefix("100.64.0.0/10"), "shared (CGNAT)"},      // RFC 6598: carrier and cloud-internal networks.
	{mustPrefix("127.0.0.0/8"), "loopback"},              // RFC 1122: this host's own services.
	{mustPrefix("169.254.0.0/16"), "link-local"},         // RFC 3927: includes 169.254.169.254 cloud metadata (credentials).
	{mustPrefix("172.16.0.0/12"), "private"},             // RFC 1918.
	{mustPrefix("192.0.0.0/24"), "IETF protocol"},        // RFC 6890: DS-Lite, NAT64 discovery; not origins.
	{mustPrefix("192.0.2.0/24"), "documentation"},        // RFC 5737 TEST-NET-1.
	{mustPrefix("192.88.99.0/24"), "6to4 relay anycast"}, // RFC 7526: deprecated relay, tunnels elsewhere.
	{mustPrefix("192.168.0.0/16"), "private"},            // RFC 1918.
	{mustPrefix("198.18.0.0/15"), "benchmarking"},        // RFC 2544: lab networks, sometimes internal.
	{mustPrefix("198.51.100.0/24"), "documentation"},     // RFC 5737 TEST-NET-2.
	{mustPrefix("203.0.113.0/24"), "documentation"},      // RFC 5737 TEST-NET-3.
	{mustPrefix("224.0.0.0/4"), "multicast"},             // RFC 5771: not a single origin; TCP to it is nonsense.
	{mustPrefix("240.0.0.0/4"), "reserved"},              // RFC 1112; includes 255.255.255.255 broadcast.
}

// blockedV6 lists IPv6 ranges that are local, deprecated or non-routable.
// IPv4-mapped addresses never get here: they are unmapped first, because
// the kernel dials ::ffff:127.0.0.1 as 127.0.0.1.
var blockedV6 = []blockedRange{
	{mustPrefix("::/128"), "unspecified"},                      // RFC 4291: dials the local host.
	{mustPrefix("::1/128"), "loopback"},                        // RFC 4291.
	{mustPrefix("::/96"), "IPv4-compatible"},                   // RFC 4291: deprecated; some stacks route it to the embedded IPv4.
	{mustPrefix("::ffff:0:0:0/96"), "IPv4-translated"},         // RFC 2765 SIIT: translated to the embedded IPv4.
	{mustPrefix("64:ff9b:1::/48"), "local-use NAT64"},          // RFC 8215: site-local translation to arbitrary IPv4.
	{mustPrefix("100::/64"), "discard-only"},                   // RFC 6666.
	{mustPrefix("2001::/23"), "IETF protocol"},                 // RFC 2928: Teredo (tunnels to an embedded IPv4), ORCHID, benchmarking.
	{mustPrefix("2001:db8::/32"), "documentation"},             // RFC 3849.
	{mustPrefix("3fff::/20"), "documentation"},                 // RFC 9637.
	{mustPrefix("5f00::/16"), "segment routing"},               // RFC 9602: SRv6 SIDs, not origins.
	{mustPrefix("fd00:ec2::254/128"), "cloud metadata (IPv6)"}, // AWS IMDS over IPv6; listed before fc00::/7 for a clearer reason.
	{mustPrefix("fc00::/7"), "unique local (private)"},         // RFC 4193: the IPv6 private ranges.
	{mustPrefix("fe80::/10"), "link-local"},                    // RFC 4291: includes fe80::a9fe:a9fe style metadata aliases.
	{mustPrefix("fec0::/10"), "site-local"},                    // RFC 3879: deprecated, still routed internally by some.
	{mustPrefix("ff00::/8"), "multicast"},                      // RFC 4291.
}

var (
	// NAT64 (RFC 6052) and 6to4 (RFC 3056) addresses are forwarded by a
	// gateway to the IPv4 address they embed, so they are exactly as safe as
	// that IPv4 address: public ones stay reachable, private ones do not.
	nat64Prefix = mustPrefix("64:ff9b::/96")
	sixToFour   = mustPrefix("2002::/16")
	// Outside global unicast (RFC 4291 2000::/3), IPv6 is unassigned or
	// special; nothing there is a legitimate origin.
	globalUnicastV6 = mustPrefix("2000::/3")
)

// addrAllowed reports whether a may be dialled for a user-supplied URL. It
// returns the reason when a is refused. allow lists operator overrides and is
// matched against the normalised address, before any built-in rule.
func addrAllowed(a netip.Addr, allow []netip.Prefix) (ok bool, reason string) {
	if !a.IsValid() {
		return false, "invalid address"
	}
	// The zone only selects an interface; it does not change which host is
	// reached, and fe80::/10 is refused anyway.
	a = a.WithZone("").Unmap()
	for _, p := range allow {
		if p.Contains(a) {
			return true, ""
		}
	}
	return publicAddr(a)
}

// publicAddr applies the built-in rules to a normalised address.
func publicAddr(a netip.Addr) (bool, string) {
	if a.Is4() {
		for _, r := range blockedV4 {
			if r.prefix.Contains(a) {
				return false, r.reason
			}
		}
		return true, ""
	}
	switch {
	case nat64Prefix.Contains(a):
		b := a.As16()
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
	case sixToFour.Contains(a):
		b := a.As16()
		return embedded(netip.AddrFrom4([4]byte(b[2:6])), "6to4")
	}
	for _, r := range blockedV6 {
		if r.prefix.Contains(a) {
			return false, r.reason
		}
	}
	if !globalUnicastV6.Contains(a) {
		return false, "not global unicast"
	}
	return true, ""
}

func embedded(v4 netip.Addr, via string) (bool, string) {
	if ok, reason := publicAddr(v4); !ok {
		return false, via + " to " + reason
	}
	return true, ""
}

// normalisePrefixes lets operators write IPv4 ranges in IPv4-mapped form
// (::ffff:10.0.0.0/104): addresses are unmapped before matching, so the
// prefixes must be too, or such an override would silently match nothing.
func normalisePrefixes(in []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(in))
	for _, p := range in {
		if !p.IsValid() {
			continue
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out
}
