package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	tokenA = "admin-token-aaaaaaaaaaaa"
	tokenB = "admin-token-bbbbbbbbbbbb"
	tokenC = "admin-token-cccccccccccc"
)

func writeTokenFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin-tokens")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAdminTokensFromEverySource(t *testing.T) {
	file := writeTokenFile(t, tokenC+"\n")
	c, err := LoadFrom(map[string]string{
		"GATEWAY_ADMIN_TOKEN":      tokenA,
		"GATEWAY_ADMIN_TOKENS":     " " + tokenB + " ,," + tokenC + ",",
		"GATEWAY_ADMIN_TOKEN_FILE": file,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.StaticAdminTokens(), []string{tokenA, tokenB, tokenC}; !slices.Equal(got, want) {
		t.Errorf("StaticAdminTokens: got %q, want %q (spaces and empty entries dropped)", got, want)
	}
	if !c.HasAdminTokens() || c.AdminTokenFile != file {
		t.Errorf("HasAdminTokens %v, AdminTokenFile %q", c.HasAdminTokens(), c.AdminTokenFile)
	}
	for _, env := range []map[string]string{
		{"GATEWAY_ADMIN_TOKENS": tokenA},
		{"GATEWAY_ADMIN_TOKEN_FILE": file},
	} {
		if c, err := LoadFrom(env); err != nil || !c.HasAdminTokens() {
			t.Errorf("%v: HasAdminTokens %v, %v", env, c.HasAdminTokens(), err)
		}
	}
	if c, err := LoadFrom(map[string]string{}); err != nil || c.HasAdminTokens() {
		t.Errorf("no token given: HasAdminTokens %v, %v; want false (an embedded gateway generates one)", c.HasAdminTokens(), err)
	}
}

func TestRedisNeedsOneAdminTokenSource(t *testing.T) {
	redis := "redis://127.0.0.1:6379/0"
	_, err := LoadFrom(map[string]string{"GATEWAY_REDIS_URL": redis, "GATEWAY_ADMIN_TOKENS": " , "})
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_ADMIN_TOKEN") || !strings.Contains(err.Error(), "GATEWAY_ADMIN_TOKEN_FILE") {
		t.Fatalf("got %v, want an error naming the token variables", err)
	}
	for _, env := range []map[string]string{
		{"GATEWAY_ADMIN_TOKEN": tokenA},
		{"GATEWAY_ADMIN_TOKENS": tokenA + "," + tokenB},
		{"GATEWAY_ADMIN_TOKEN_FILE": writeTokenFile(t, tokenA)},
	} {
		env["GATEWAY_REDIS_URL"] = redis
		if _, err := LoadFrom(env); err != nil {
			t.Errorf("%v: %v", env, err)
		}
	}
}

// Every bad token is reported at start, all at once, naming its variable
// and where in it, and no token, good or bad, is ever in the message.
func TestBadAdminTokensAreReportedAtOnceWithoutEchoingThem(t *testing.T) {
	dir := t.TempDir()
	shortFile := writeTokenFile(t, "# tokens\n"+tokenA+"\n\nshort-secret-1\n  "+tokenB+"  \nshort-secret-2\n")
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"short single token", map[string]string{"GATEWAY_ADMIN_TOKEN": "short-secret"},
			[]string{"GATEWAY_ADMIN_TOKEN: must be at least 16 characters"}},
		{"short tokens in the list", map[string]string{"GATEWAY_ADMIN_TOKENS": tokenA + ",short-secret-1," + tokenB + ",short-secret-2"},
			[]string{"GATEWAY_ADMIN_TOKENS: tokens 2, 4 of the comma-separated list: shorter than 16 characters"}},
		{"short tokens in the file", map[string]string{"GATEWAY_ADMIN_TOKEN_FILE": shortFile},
			[]string{"GATEWAY_ADMIN_TOKEN_FILE: " + shortFile + ": lines 4, 6: shorter than 16 characters"}},
		{"missing file", map[string]string{"GATEWAY_ADMIN_TOKEN_FILE": filepath.Join(dir, "nope")},
			[]string{"GATEWAY_ADMIN_TOKEN_FILE: cannot read " + filepath.Join(dir, "nope")}},
		{"file without a token", map[string]string{"GATEWAY_ADMIN_TOKEN_FILE": writeTokenFile(t, "# none yet\n\n")},
			[]string{"GATEWAY_ADMIN_TOKEN_FILE: ", "holds no token"}},
		{"all at once", map[string]string{
			"GATEWAY_ADMIN_TOKEN":      "short-secret",
			"GATEWAY_ADMIN_TOKENS":     "short-secret-1",
			"GATEWAY_ADMIN_TOKEN_FILE": shortFile,
		}, []string{"GATEWAY_ADMIN_TOKEN:", "GATEWAY_ADMIN_TOKENS:", "GATEWAY_ADMIN_TOKEN_FILE:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFrom(tc.env)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
			for _, secret := range []string{"short-secret", tokenA, tokenB} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a token (%s):\n%v", secret, err)
				}
			}
		})
	}
}

func TestParseAdminTokens(t *testing.T) {
	got, err := ParseAdminTokens([]byte("# rotated 2026-12-06\r\n" + tokenA + "\r\n\n   \n  # the next one\n\t" + tokenB + " \n" + tokenC))
	if want := []string{tokenA, tokenB, tokenC}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"", "\n\n", "# only a comment\n", tokenA + "\nshort\n"} {
		if got, err := ParseAdminTokens([]byte(bad)); err == nil {
			t.Errorf("%q: got %q, want an error", bad, got)
		}
	}
}

// A token file's parser returns only whole, long-enough tokens, and its
// errors are made of line numbers, never of the file's content.
func FuzzParseAdminTokens(f *testing.F) {
	f.Add("# c\n" + tokenA + "\n\n" + tokenB + "\n")
	f.Add("short\n" + tokenA + "\r\n  x  \n")
	f.Add("")
	f.Add("#" + tokenA)
	message := regexp.MustCompile(`^(lines? [0-9]+(, [0-9]+)*: shorter than 16 characters|holds no token \(one a line; blank lines and # comments are skipped\))$`)
	f.Fuzz(func(t *testing.T, data string) {
		tokens, err := ParseAdminTokens([]byte(data))
		if err != nil {
			if !message.MatchString(err.Error()) {
				t.Fatalf("error %q may show the file's content", err)
			}
			return
		}
		if len(tokens) == 0 {
			t.Fatal("no error and no token")
		}
		for _, tok := range tokens {
			if len(tok) < MinAdminTokenLength || tok != strings.TrimSpace(tok) || strings.HasPrefix(tok, "#") || strings.Contains(tok, "\n") {
				t.Fatalf("token %q returned", tok)
			}
		}
	})
}
