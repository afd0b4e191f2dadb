package fetch

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAddrAllowedDefaultPolicy(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		// Public addresses stay reachable.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"2606:4700:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"::ffff:8.8.8.8", true},       // mapped public
		{"64:ff9b::808:808", true},     // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},      // 6to4 of 8.8.8.8
		{"100.63.255.255", true},       // just below CGNAT
		{"100.128.0.0", true},          // just above CGNAT
		{"172.15.255.255", true},       // just below 172.16/12
		{"172.32.0.0", true},           // just above 172.16/12
		{"198.17.255.255", true},       // just below benchmarking
		{"198.20.0.0", true},           // just above benchmarking
		{"223.255.255.255", true},      // just below multicast
		{"2001:200::1", true},          // just above 2001::/23 (WIDE, real)
		{"2001:db7:ffff::1", true},     // just below documentation
		{"fbff:ffff::1", false},        // outside 2000::/3
		{"64:ff9b::c000:201", false},   // NAT64 of 192.0.2.1 (documentation)
		{"64:ff9b::ffff:ffff", false},  // NAT64 of broadcast
		{"64:ff9b:1::808:808", false},  // local-use NAT64
		{"2002:c0a8:101::1", false},    // 6to4 of 192.168.1.1
		{"2002:7f00:1::1", false},      // 6to4 of 127.0.0.1
		{"2002:a9fe:a9fe::", false},    // 6to4 of metadata
		{"2001:0:4136:e378::1", false}, // Teredo

		// IPv4 loopback, private, link-local and metadata.
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.0.1", false},
		{"169.254.169.254", false},
		{"169.254.0.1", false},
		// Unspecified, this-network, CGNAT, benchmarking, reserved, broadcast.
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		// Multicast and documentation.
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"192.0.2.1", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"192.0.0.170", false},
		{"192.88.99.1", false},

		// IPv6 loopback, unspecified, private, link-local, multicast.
		{"::1", false},
		{"::", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"fd00:ec2::254", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false}, // zone does not matter
		{"febf::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"ff0e::1", false},
		{"2001:db8::1", false},
		{"3fff::1", false},
		{"100::1", false},

		// IPv4 in IPv6 clothing.
		{"::ffff:127.0.0.1", false},
		{"::ffff:7f00:1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:0.0.0.0", false},
		{"::127.0.0.1", false},        // IPv4-compatible loopback
		{"::8.8.8.8", false},          // IPv4-compatible, deprecated even when public
		{"::ffff:0:7f00:1", false},    // IPv4-translated loopback
		{"64:ff9b::7f00:1", false},    // NAT64 of 127.0.0.1
		{"64:ff9b::a00:1", false},     // NAT64 of 10.0.0.1
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of metadata
		{"64:ff9b::", false},          // NAT64 of 0.0.0.0
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			got, reason := addrAllowed(a, nil)
			if got != tt.want {
				t.Errorf("addrAllowed(%s) = %v (%s), want %v", tt.addr, got, reason, tt.want)
			}
			if !got && reason == "" {
				t.Errorf("addrAllowed(%s) refused without a reason", tt.addr)
			}
		})
	}
}

func TestAddrAllowedOverrides(t *testing.T) {
	allow := normalisePrefixes([]netip.Prefix{
		netip.MustParsePrefix("10.1.0.0/16"),
		netip.MustParsePrefix("::ffff:192.168.5.0/120"), // written mapped
		netip.MustParsePrefix("fd00:1::/32"),
	})
	tests := []struct {
		addr string
		want bool
	}{
		{"10.1.2.3", true},
		{"::ffff:10.1.2.3", true},
		{"10.2.0.1", false},
		{"192.168.5.9", true},
		{"192.168.6.9", false},
		{"fd00:1::5", true},
		{"fd00:2::5", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		if got, _ := addrAllowed(netip.MustParseAddr(tt.addr), allow); got != tt.want {
			t.Errorf("addrAllowed(%s, overrides) = %v, want %v", tt.addr, got, tt.want)
		}
	}
	if got, _ := addrAllowed(netip.Addr{}, allow); got {
		t.Error("the zero Addr is allowed")
	}
}

// TestControlRefusesBeforeConnect drives the dialer hook directly: it is
// called with the resolved ip:port and no socket activity has happened yet.
func TestControlRefusesBeforeConnect(t *testing.T) {
	control := controlFunc(nil)
	for _, address := range []string{
		"127.0.0.1:80", "[::1]:443", "10.0.0.1:8080", "169.254.169.254:80",
		"[::ffff:127.0.0.1]:80", "[fe80::1%eth0]:80", "[64:ff9b::a9fe:a9fe]:80", "nonsense",
	} {
		err := control("tcp", address, nil)
		var fa *forbiddenAddrError
		if !errors.As(err, &fa) {
			t.Errorf("control(%q) = %v, want forbiddenAddrError", address, err)
		}
	}
	for _, address := range []string{"8.8.8.8:443", "[2606:4700:4700::1111]:80"} {
		if err := control("tcp", address, nil); err != nil {
			t.Errorf("control(%q) = %v, want nil", address, err)
		}
	}
}

// FuzzAddrAllowed checks the properties the policy relies on for any
// 16-byte address (shorter inputs are zero-padded): the mapped form of an IPv4 address gets the same answer
// as the IPv4 address, the loopback and private ranges are always refused,
// and NAT64 never launders a refused IPv4 address.
func FuzzAddrAllowed(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1})
	f.Add([]byte{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1})
	f.Add([]byte{0x20, 0x02, 192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add([]byte{0x26, 0x06, 0x47, 0, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11})
	f.Fuzz(func(t *testing.T, b []byte) {
		var raw [16]byte
		copy(raw[:], b)
		a := netip.AddrFrom16(raw)
		ok, _ := addrAllowed(a, nil)
		if ok && (a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
			a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast()) {
			t.Fatalf("%s allowed", a)
		}
		if u := a.Unmap(); u.Is4() {
			ok4, _ := addrAllowed(u, nil)
			if ok != ok4 {
				t.Fatalf("%s allowed=%v but %s allowed=%v", a, ok, u, ok4)
			}
			var nat [16]byte
			copy(nat[:], []byte{0, 0x64, 0xff, 0x9b})
			v4 := u.As4()
			copy(nat[12:], v4[:])
			if okNAT, _ := addrAllowed(netip.AddrFrom16(nat), nil); okNAT != ok4 {
				t.Fatalf("NAT64 of %s allowed=%v, IPv4 allowed=%v", u, okNAT, ok4)
			}
			var six [16]byte
			six[0], six[1] = 0x20, 0x02
			copy(six[2:6], v4[:])
			if ok6, _ := addrAllowed(netip.AddrFrom16(six), nil); ok6 != ok4 {
				t.Fatalf("6to4 of %s allowed=%v, IPv4 allowed=%v", u, ok6, ok4)
			}
		}
	})
}
