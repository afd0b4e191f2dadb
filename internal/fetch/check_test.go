package fetch

import (
	"net/netip"
	"testing"
)

func TestPolicyCheckAddr(t *testing.T) {
	allow := Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, AllowHosts: []string{"Intranet"}}
	tests := []struct {
		p    Policy
		addr string
		ok   bool
	}{
		{Policy{}, "127.0.0.1", false},
		{Policy{}, "::ffff:169.254.169.254", false},
		{Policy{}, "8.8.8.8", true},
		{allow, "127.0.0.1", true},
		{allow, "127.0.0.2", false},
	}
	for _, tc := range tests {
		if err := tc.p.CheckAddr(netip.MustParseAddr(tc.addr)); (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
	if !allow.TrustsHost("intranet") || allow.TrustsHost("other") || (Policy{}).TrustsHost("intranet") {
		t.Error("TrustsHost")
	}
}
