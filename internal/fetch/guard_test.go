package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// guardedClient is another client's transport, with a proxy and a dialer
// of its own, after GuardTransport.
func guardedClient(t *testing.T, c *Client) *http.Client {
	t.Helper()
	tr := &http.Transport{
		Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: "proxy.invalid:3128"}),
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("the transport's own dialer was used")
		},
	}
	c.GuardTransport(tr)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func TestGuardTransportRefusesLoopback(t *testing.T) {
	o := newOrigin(t, hello)
	hc := guardedClient(t, newTestClient(t, Policy{}))
	_, err := hc.Get(o.URL + "/")
	if err == nil {
		t.Fatal("GET of a loopback origin succeeded")
	}
	// Other clients wrap the transport's error in their own.
	wrapped := fmt.Errorf("operation failed: %w", err)
	fe, ok := Forbidden(wrapped, "127.0.0.1")
	if !ok || fe.Code() != CodeForbiddenAddress {
		t.Fatalf("Forbidden(%v) = %v, %v; want FORBIDDEN_ADDRESS", wrapped, fe, ok)
	}
	if want := `connecting to "127.0.0.1" is not allowed`; !strings.Contains(fe.Error(), want) {
		t.Errorf("message %q, want it to contain %q", fe.Error(), want)
	}
	if n := o.hits.Load(); n != 0 {
		t.Errorf("origin received %d requests, want 0", n)
	}
	// The AWS SDK asks errors whether to retry; a refusal would be
	// refused again.
	var r interface{ RetryableError() bool }
	if !errors.As(err, &r) || r.RetryableError() {
		t.Errorf("the refusal does not say it is final: %v", err)
	}
}

func TestGuardTransportAllowedByPolicy(t *testing.T) {
	o := newOrigin(t, hello)
	for _, p := range []Policy{allowLoopback, {AllowHosts: []string{"localhost"}}} {
		hc := guardedClient(t, newTestClient(t, p))
		resp, err := hc.Get("http://localhost:" + o.port() + "/")
		if err != nil {
			t.Fatalf("policy %+v: %v", p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "hello" {
			t.Errorf("policy %+v: body %q", p, body)
		}
	}
	if n := o.hits.Load(); n != 2 {
		t.Errorf("origin received %d requests, want 2 (none through the proxy)", n)
	}
}

func TestCheckHost(t *testing.T) {
	short := func(p Policy) Policy { p.ConnectTimeout = 3 * time.Second; return p }
	tests := []struct {
		name string
		p    Policy
		host string
		code Code // "" when allowed
	}{
		{"loopback literal", Policy{}, "127.0.0.1", CodeForbiddenAddress},
		{"loopback IPv6", Policy{}, "::1", CodeForbiddenAddress},
		{"mapped metadata address", Policy{}, "::ffff:169.254.169.254", CodeForbiddenAddress},
		{"name of loopback", Policy{}, "localhost", CodeForbiddenAddress},
		{"public literal, no DNS", Policy{}, "8.8.8.8", ""},
		{"allowed CIDR", allowLoopback, "127.0.0.1", ""},
		{"name within allowed CIDRs", allowLoopback, "localhost", ""},
		{"CIDR allows one address only", Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, "127.0.0.2", CodeForbiddenAddress},
		{"trusted host", Policy{AllowHosts: []string{"LOCALHOST"}}, "localhost", ""},
		{"no host", Policy{}, "", CodeInvalidURL},
		{"does not resolve", short(Policy{}), "no-such-host.invalid", CodeFetchFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newTestClient(t, tt.p).CheckHost(context.Background(), tt.host)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("got %v, want allowed", err)
				}
				return
			}
			fe := wantCode(t, err, tt.code)
			if tt.host == "localhost" && strings.Contains(fe.Error(), "127.0.0.1") {
				t.Errorf("message %q shows the resolved address", fe.Error())
			}
			if tt.code == CodeForbiddenAddress {
				if got, ok := Forbidden(err, tt.host); !ok || got != fe {
					t.Errorf("Forbidden(%v) = %v, %v; want the same error", err, got, ok)
				}
			}
		})
	}
}

func TestForbiddenIgnoresOtherErrors(t *testing.T) {
	for _, err := range []error{
		errors.New("connection refused"),
		newError(CodeFetchFailed, nil, "failed"),
		fmt.Errorf("wrapped: %w", newError(CodeTimeout, nil, "slow")),
	} {
		if fe, ok := Forbidden(err, "h"); ok {
			t.Errorf("Forbidden(%v) = %v, want false", err, fe)
		}
	}
}

func TestMaxBytes(t *testing.T) {
	if got := newTestClient(t, Policy{}).MaxBytes(); got != DefaultMaxBytes {
		t.Errorf("default: %d, want %d", got, DefaultMaxBytes)
	}
	if got := newTestClient(t, Policy{MaxBytes: 10}).MaxBytes(); got != 10 {
		t.Errorf("got %d, want 10", got)
	}
	if got := newTestClient(t, Policy{MaxBytes: -1}).MaxBytes(); got >= 0 {
		t.Errorf("no cap: got %d, want negative", got)
	}
}
