package fetch

// Tests of the address policy as enforced on real dials. Every server here
// listens on loopback, which the default policy forbids, so a refusal is
// proven by the server's request counter staying at zero.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestLoopbackRefusedByDefault(t *testing.T) {
	v4 := newOrigin(t, hello)
	v6 := newOrigin6(t, hello)
	c := newTestClient(t, Policy{})
	for _, tt := range []struct {
		url string
		o   *origin
	}{
		{v4.URL + "/", v4},
		{"http://localhost:" + v4.port() + "/", v4}, // resolves to loopback
		{"http://[::ffff:127.0.0.1]:" + v4.port() + "/", v4},
		{v6.URL + "/", v6},
	} {
		t.Run(tt.url, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := c.Fetch(context.Background(), tt.url, nil, &buf)
			fe := wantCode(t, err, CodeForbiddenAddress)
			if strings.Contains(fe.Error(), "127.0.0.1") && !strings.Contains(tt.url, "127.0.0.1") {
				t.Errorf("message %q leaks the resolved address", fe.Error())
			}
			if n := tt.o.hits.Load(); n != 0 {
				t.Errorf("origin received %d requests, want 0", n)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}

func TestLoopbackAllowedByOverride(t *testing.T) {
	v4 := newOrigin(t, hello)
	v6 := newOrigin6(t, hello)
	for _, tt := range []struct {
		name string
		p    Policy
		url  string
	}{
		{"AllowCIDRs 127/8", Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, v4.URL + "/a.txt"},
		{"AllowCIDRs ::1/128", Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("::1/128")}}, v6.URL + "/a.txt"},
		{"AllowHosts localhost", Policy{AllowHosts: []string{"LocalHost"}}, "http://localhost:" + v4.port() + "/a.txt"},
		{"AllowHosts IP literal", Policy{AllowHosts: []string{"127.0.0.1"}}, v4.URL + "/a.txt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			meta, err := newTestClient(t, tt.p).Fetch(context.Background(), tt.url, nil, &buf)
			if err != nil {
				t.Fatalf("Fetch: %v (cause %v)", err, errors.Unwrap(err))
			}
			if buf.String() != "hello" || meta.Size != 5 || meta.FileName != "a.txt" || meta.FinalURL != tt.url {
				t.Errorf("got body %q, meta %+v", buf.String(), meta)
			}
		})
	}
}

func TestAllowHostsIsExact(t *testing.T) {
	o := newOrigin(t, hello)
	c := newTestClient(t, Policy{AllowHosts: []string{"localhost"}})
	// The entry names localhost, not the address it resolves to.
	_, err := c.Fetch(context.Background(), o.URL+"/", nil, &bytes.Buffer{})
	wantCode(t, err, CodeForbiddenAddress)
	if n := o.hits.Load(); n != 0 {
		t.Errorf("origin received %d requests, want 0", n)
	}
}

func TestRedirectFromAllowedHostToForbiddenAddress(t *testing.T) {
	target := newOrigin(t, hello)
	front := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/secret", http.StatusFound)
	})
	c := newTestClient(t, Policy{AllowHosts: []string{"localhost"}})
	_, err := c.Fetch(context.Background(), "http://localhost:"+front.port()+"/", nil, &bytes.Buffer{})
	fe := wantCode(t, err, CodeForbiddenAddress)
	if !strings.Contains(fe.Error(), `"127.0.0.1"`) {
		t.Errorf("message %q does not name the redirect target's host", fe.Error())
	}
	if front.hits.Load() != 1 || target.hits.Load() != 0 {
		t.Errorf("hits front=%d target=%d, want 1 and 0", front.hits.Load(), target.hits.Load())
	}
}

func TestMetadataAddressRefused(t *testing.T) {
	// The Control hook refuses before connect(2), so nothing is sent; the
	// short ConnectTimeout only bounds the test if that ever regresses.
	c := newTestClient(t, Policy{ConnectTimeout: 300 * time.Millisecond})
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"} {
		_, err := c.Fetch(context.Background(), u, nil, &bytes.Buffer{})
		wantCode(t, err, CodeForbiddenAddress)
	}
}
