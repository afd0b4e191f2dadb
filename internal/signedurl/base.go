// Package signedurl owns signed conversion URLs (CloudConvert-compatible):
// the signed-URL bases and their admin API, the routing of a request to its
// base by path, and the handler that verifies a URL, runs its job (through
// the result cache when the URL has a cache_key) and answers with a redirect
// to the output or the job's status. The signature itself is
// internal/verify/urlsig's; the job payload is internal/jobs/jobspec's.
package signedurl

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// Kind is the record-store kind of signed-URL bases.
const Kind = "signed-url-bases"

// Base is one signed-URL base: links are <Base>?job=...&s=..., signed with
// Secret. The path of Base identifies it on the gateway.
type Base struct {
	ID   string `json:"id"`
	Base string `json:"base"`
	// Secret is shown only in the answer to the call that created the base.
	Secret  string    `json:"signing_secret,omitempty"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// CORS lets pages of other origins fetch() the base's links; nil: no
	// CORS.
	CORS *cors.Rule `json:"cors,omitempty"`

	key *urlsig.Key // Secret, prepared; set on the bases routing uses
}

// verify checks q's signature under b's secret, against the configured
// base string (not the Host the request came with).
func (b Base) verify(q urlsig.Query) error {
	if b.key != nil {
		return b.key.Verify(b.Base, q)
	}
	return urlsig.Verify(b.Base, [][]byte{[]byte(b.Secret)}, q)
}

// Public is b as list and get show it: without its secret.
func (b Base) Public() Base {
	b.Secret = ""
	return b
}

// Path is the request path that routes to b.
func (b Base) Path() string {
	u, err := url.Parse(b.Base)
	if err != nil {
		return ""
	}
	return u.Path
}

// MinSecretLen is the shortest secret accepted: shorter ones can be
// guessed offline from one signed URL.
const MinSecretLen = 16

// ReservedPrefixes are the gateway's own routes; no base may live under
// them, or it would hide them or be hidden by them.
var ReservedPrefixes = []string{"/v1", "/v1_1", "/media", "/s3", "/outputs", "/healthz", "/readyz", "/metrics"}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidateID explains what is wrong with id, or returns nil.
func ValidateID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("id %q is invalid: use 1 to 64 letters, digits, _ and -", id)
	}
	return nil
}

// ValidateBase explains what is wrong with a base URL, or returns nil.
func ValidateBase(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("base %q is not a URL", base)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("base %q must be an absolute http:// or https:// URL", base)
	case u.Host == "":
		return fmt.Errorf("base %q has no host", base)
	case u.User != nil:
		return fmt.Errorf("base %q must not hold credentials", base)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(base, "?#"):
		return fmt.Errorf("base %q must have no query or fragment: the gateway appends ?job=", base)
	case u.Path == "" || u.Path == "/":
		return fmt.Errorf("base %q needs a path such as /conversions: the path identifies the base", base)
	}
	for _, p := range ReservedPrefixes {
		if u.Path == p || strings.HasPrefix(u.Path, p+"/") {
			return fmt.Errorf("base path %q is under %s, which the gateway reserves for its own routes", u.Path, p)
		}
	}
	return nil
}

// ValidateSecret explains what is wrong with a secret, or returns nil.
func ValidateSecret(secret string) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("signing_secret must be at least %d characters", MinSecretLen)
	}
	return nil
}

// NewID returns a random id in UUID v4 form.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewSecret returns 32 random letters and digits, as CloudConvert's are.
func NewSecret() string {
	return randomAlnum(32)
}

func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, n)
	var b [1]byte
	for i := 0; i < n; {
		_, _ = rand.Read(b[:])
		// 62*4 = 248: rejecting bytes above it keeps the draw uniform.
		if b[0] >= 248 {
			continue
		}
		out[i] = alphabet[b[0]%62]
		i++
	}
	return string(out)
}
