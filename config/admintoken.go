package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MinAdminTokenLength is the length, in bytes, below which an admin token is
// refused: shorter ones are within reach of guessing.
const MinAdminTokenLength = 16

// StaticAdminTokens are the admin tokens given in the environment
// (GATEWAY_ADMIN_TOKEN and GATEWAY_ADMIN_TOKENS), in order, without
// blanks; those of GATEWAY_ADMIN_TOKEN_FILE are read by ReadAdminTokenFile.
func (c Config) StaticAdminTokens() []string {
	var out []string
	for _, t := range append([]string{c.AdminToken}, c.AdminTokens...) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// HasAdminTokens reports whether any admin token source is configured;
// without one, an embedded gateway generates its token.
func (c Config) HasAdminTokens() bool {
	return len(c.StaticAdminTokens()) > 0 || c.AdminTokenFile != ""
}

// ParseAdminTokens reads the tokens of a token file: one a line, spaces
// around it ignored, blank lines and lines starting with # skipped. A line
// shorter than MinAdminTokenLength makes the whole file an error, which
// names the line but never its content: the file is taken as a whole or
// not at all, so a half-edited file does not lock anyone out.
func ParseAdminTokens(data []byte) ([]string, error) {
	var tokens []string
	var short []int
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < MinAdminTokenLength {
			short = append(short, i+1)
			continue
		}
		tokens = append(tokens, line)
	}
	if len(short) > 0 {
		return nil, fmt.Errorf("%s: shorter than %d characters", positions("line", short), MinAdminTokenLength)
	}
	if len(tokens) == 0 {
		return nil, errors.New("holds no token (one a line; blank lines and # comments are skipped)")
	}
	return tokens, nil
}

// positions names numbered things: "line 3", "lines 3, 5".
func positions(what string, n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = strconv.Itoa(v)
	}
	if len(n) > 1 {
		what += "s"
	}
	return what + " " + strings.Join(s, ", ")
}

// ReadAdminTokenFile reads and parses the token file at path.
func ReadAdminTokenFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	tokens, err := ParseAdminTokens(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tokens, nil
}

// validateAdminTokens checks every token source at once. Its messages name
// the variable and the position of a bad token, never the token: the
// error goes to logs, which travel further than the secret should.
func (c *Config) validateAdminTokens(bad func(name, format string, args ...any)) {
	if c.AdminToken != "" && len(strings.TrimSpace(c.AdminToken)) < MinAdminTokenLength {
		bad("ADMIN_TOKEN", "must be at least %d characters", MinAdminTokenLength)
	}
	var short []int
	for i, t := range c.AdminTokens {
		if t = strings.TrimSpace(t); t != "" && len(t) < MinAdminTokenLength {
			short = append(short, i+1)
		}
	}
	if len(short) > 0 {
		bad("ADMIN_TOKENS", "%s of the comma-separated list: shorter than %d characters", positions("token", short), MinAdminTokenLength)
	}
	if c.AdminTokenFile != "" {
		if _, err := ReadAdminTokenFile(c.AdminTokenFile); err != nil {
			bad("ADMIN_TOKEN_FILE", "%v", err)
		}
	}
	if !c.Embedded() && !c.HasAdminTokens() {
		bad("ADMIN_TOKEN", "is required when GATEWAY_REDIS_URL is set (or GATEWAY_ADMIN_TOKENS or GATEWAY_ADMIN_TOKEN_FILE), so that every instance admits the same tokens")
	}
}
