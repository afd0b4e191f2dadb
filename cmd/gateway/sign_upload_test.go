package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSignUpload(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"spec sanity check", []string{"--secret", "abcd", "public_id=sample_image", "timestamp=1315060510"}, 0,
			"b4ad47fb4e25c7bf5f92a20089f9db59bc302313\n"},
		{"sha256", []string{"--secret", "abcd", "--algo", "sha256", "timestamp=1315060510", "public_id=sample_image"}, 0,
			"e3c44b54e67a3ecc918f5d7236ca5faa36250ea8a8cd6cbabfd2d6bb2453acac\n"},
		{"explain, version 2 escapes &", []string{"--secret", "abcd", "--explain", "public_id=amp", "timestamp=1700000000",
			"notification_url=https://example.com/cb?a=1&tags=x"}, 0,
			"string to sign: notification_url=https://example.com/cb?a=1%26tags=x&public_id=amp&timestamp=1700000000\n" +
				"signature:      29df2e930136cee0847e3aeea4da3c9e24762456\n"},
		{"excluded parameters", []string{"--secret", "abcd", "public_id=sample_image", "timestamp=1315060510", "api_key=1", "file=x"}, 0,
			"b4ad47fb4e25c7bf5f92a20089f9db59bc302313\n"},
		{"no secret", []string{"a=b"}, 2, ""},
		{"bad algo", []string{"--secret", "s", "--algo", "md5"}, 2, ""},
		{"bad version", []string{"--secret", "s", "--version", "3"}, 2, ""},
		{"not a pair", []string{"--secret", "s", "oops"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := signUpload(tc.args, &out, &errOut)
			if code != tc.wantCode || out.String() != tc.wantOut {
				t.Errorf("got %d %q (stderr %q), want %d %q", code, out.String(), errOut.String(), tc.wantCode, tc.wantOut)
			}
			if code != 0 && !strings.Contains(errOut.String(), "gateway sign upload") {
				t.Errorf("stderr does not name the command: %q", errOut.String())
			}
		})
	}
}
