package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"

	"github.com/signedgate/gateway/internal/verify/token"
)

func TestSignJWT(t *testing.T) {
	privPEM, pubPEM, err := token.GenerateKey(0)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := token.ParsePublic(pubPEM)
	keyFile := filepath.Join(t.TempDir(), "private.pem")
	if err := os.WriteFile(keyFile, privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	v := &token.Verifier{Leeway: -1, Lookup: func(kid string) (token.Key, bool) {
		return token.Key{ID: kid, Bucket: "media", Public: pub}, kid == "k1"
	}}

	tests := []struct {
		name     string
		args     []string
		path     string
		at       time.Time
		wantCode string // "" accepted
	}{
		{"default ttl", []string{"--uri", "/films/"}, "/films/a.mp4", now.Add(59 * time.Minute), ""},
		{"default ttl expires", []string{"--uri", "/films/"}, "/films/a.mp4", now.Add(time.Hour), "expired"},
		{"scope", []string{"--uri", "/films/"}, "/show/a.mp4", now, "out_of_scope"},
		{"no exp", []string{"--ttl", "0"}, "/x", now.Add(1000 * time.Hour), ""},
		{"nbf relative", []string{"--nbf", "+5m"}, "/x", now.Add(4 * time.Minute), "not_yet_valid"},
		{"nbf unix", []string{"--nbf", "1714565100"}, "/x", now.Add(5 * time.Minute), ""},
		{"nbf rfc3339", []string{"--nbf", "2024-05-01T12:10:00Z"}, "/x", now.Add(9 * time.Minute), "not_yet_valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"--key", keyFile, "--kid", "k1"}, tc.args...)
			if code := runSignJWT(args, &out, &errOut, now); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			_, err := v.Verify(strings.TrimSpace(out.String()), "media", tc.path, tc.at)
			got := ""
			if te, ok := err.(*verify.Refusal); ok {
				got = te.Code()
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tc.wantCode {
				t.Errorf("got %q, want %q", got, tc.wantCode)
			}
		})
	}

	var out bytes.Buffer
	if code := runSignJWT([]string{"--key", keyFile, "--kid", "k1", "--url", "https://cdn.example.com/films/a.mp4?v=1"}, &out, &out, now); code != 0 {
		t.Fatalf("--url: exit %d: %s", code, out.String())
	}
	u, err := url.Parse(strings.TrimSpace(out.String()))
	if err != nil || u.Host != "cdn.example.com" || u.Query().Get("v") != "1" {
		t.Fatalf("--url gave %q", out.String())
	}
	if _, err := v.Verify(u.Query().Get("auth"), "media", "/films/a.mp4", now); err != nil {
		t.Errorf("token in URL: %v", err)
	}

	for _, args := range [][]string{
		{"--kid", "k1"},
		{"--key", keyFile},
		{"--key", keyFile, "--kid", "k1", "--nbf", "soon"},
		{"--key", keyFile, "--kid", "k1", "--url", "not a url"},
		{"--key", keyFile, "--kid", "k1", "--ttl", "-1h"},
		{"--key", filepath.Join(t.TempDir(), "missing.pem"), "--kid", "k1"},
	} {
		var out, errOut bytes.Buffer
		if code := runSignJWT(args, &out, &errOut, now); code == 0 || out.Len() != 0 {
			t.Errorf("%v: exit %d, output %q; want a failure and no token", args, code, out.String())
		}
	}
}
