package cors

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://player.example.com", "https://player.example.com"},
		{"HTTPS://Player.Example.COM/", "https://player.example.com"},
		{"https://player.example.com:443", "https://player.example.com"},
		{"http://player.example.com:80", "http://player.example.com"},
		{"http://player.example.com:443", "http://player.example.com:443"},
		{"https://player.example.com:8443", "https://player.example.com:8443"},
		{"http://127.0.0.1:5173", "http://127.0.0.1:5173"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"https://xn--bcher-kva.example", "https://xn--bcher-kva.example"},
	} {
		got, err := NormalizeOrigin(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeOrigin(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "*", "null", "player.example.com", "//player.example.com", "ftp://player.example.com",
		"javascript://x", "https://", "https://player.example.com/path", "https://player.example.com//",
		"https://player.example.com?q", "https://player.example.com#f", "https://u:p@player.example.com",
		"https://player.example.com:", "https://player.example.com:0", "https://player.example.com:65536",
		"https://player.example.com:08", "https://player.example.com:+8", "https://player.example.com:x",
		"https://bücher.example", "https://a_b.example.com", "https://-a.example.com", "https://a..b",
		"https://player.example.com\r\nX: y", "https://player example.com", "http://127.1", "http://1.2.3.4.5",
		"http://[::1", "http://[1.2.3.4]", "http://[0:0:0:0:0:0:0:1]", "https://player.example.com\\x",
		"https://" + strings.Repeat("a", 300) + ".com",
	} {
		if got, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("NormalizeOrigin(%q): got %q, want an error", bad, got)
		}
	}
}

func TestRuleNormalize(t *testing.T) {
	r := Rule{AllowedOrigins: []string{"https://A.example.com/", "https://a.example.com:443", "http://b.example.com:8080"}}
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.AllowedOrigins, " "); got != "https://a.example.com http://b.example.com:8080" {
		t.Errorf("origins: got %q, want them normalised without duplicates", got)
	}
	if r.MaxAge == nil || *r.MaxAge != DefaultMaxAge {
		t.Errorf("max_age: got %v, want the default %d", r.MaxAge, DefaultMaxAge)
	}

	age := func(n int) *int { return &n }
	many := make([]string, MaxOrigins+1)
	for i := range many {
		many[i] = "https://a" + strings.Repeat("b", i%50) + ".example.com:" + string(rune('1'+i%9))
	}
	for name, r := range map[string]Rule{
		"no origins":                {},
		"wildcard with credentials": {AllowedOrigins: []string{"*"}, AllowCredentials: true},
		"wildcard among others":     {AllowedOrigins: []string{"*", "https://a.example.com"}},
		"bad origin":                {AllowedOrigins: []string{"https://a.example.com/x"}},
		"too many origins":          {AllowedOrigins: many},
		"negative max_age":          {AllowedOrigins: []string{"*"}, MaxAge: age(-1)},
		"max_age longer than a day": {AllowedOrigins: []string{"*"}, MaxAge: age(MaxMaxAge + 1)},
		"null origin":               {AllowedOrigins: []string{"null"}},
		"origin with a line break":  {AllowedOrigins: []string{"https://a.example.com\n"}},
	} {
		err := r.Normalize()
		var e *Error
		if !errors.As(err, &e) || e.Status() != 400 || e.Code() != CodeInvalid {
			t.Errorf("%s: got %v, want 400 %s", name, err, CodeInvalid)
		}
	}

	for name, r := range map[string]Rule{
		"wildcard":                       {AllowedOrigins: []string{"*"}},
		"credentials with exact origins": {AllowedOrigins: []string{"https://a.example.com"}, AllowCredentials: true},
		"max_age 0":                      {AllowedOrigins: []string{"*"}, MaxAge: age(0)},
		"max_age a day":                  {AllowedOrigins: []string{"*"}, MaxAge: age(MaxMaxAge)},
	} {
		if err := r.Normalize(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
