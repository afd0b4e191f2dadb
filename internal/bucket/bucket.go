// Package bucket owns what a bucket is: its name, its origin (a local
// directory or an HTTP upstream), its access policy, and the rules that make
// each of them valid. Buckets are kept in the record store.
package bucket

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/store"
)

// Kind is the record-store kind of buckets.
const Kind = "buckets"

// Access policies.
const (
	Public        = "public"
	Authenticated = "authenticated"
)

// Bucket is one bucket's record.
type Bucket struct {
	Name    string    `json:"name"`
	Origin  string    `json:"origin"`
	Policy  string    `json:"policy"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// OriginKind reports "file" or "http" for a valid origin.
func (b Bucket) OriginKind() string {
	if strings.HasPrefix(b.Origin, "file://") {
		return "file"
	}
	return "http"
}

// Dir is the local directory of a file:// origin.
func (b Bucket) Dir() string {
	u, err := url.Parse(b.Origin)
	if err != nil {
		return ""
	}
	return filepath.Clean(u.Path)
}

// Names follow DNS labels, so that a bucket name can also serve as a
// hostname label and never needs escaping in a path.
var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidateName explains what is wrong with name, or returns nil.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("bucket name %q is invalid: use 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit", name)
	}
	return nil
}

// ValidatePolicy explains what is wrong with policy, or returns nil.
func ValidatePolicy(policy string) error {
	if policy != Public && policy != Authenticated {
		return fmt.Errorf("policy %q is invalid: use %q or %q", policy, Public, Authenticated)
	}
	return nil
}

// NormalizeOrigin checks origin and returns its canonical spelling: a
// file:// URL naming an existing absolute directory, or an http(s) URL with a
// host and no query, fragment or credentials.
func NormalizeOrigin(origin string) (string, error) {
	if origin == "" {
		return "", errors.New(`origin is required: use "file:///absolute/directory" or "http(s)://host/prefix"`)
	}
	u, err := url.Parse(origin)
	if err != nil {
		return "", fmt.Errorf("origin %q is not a URL", origin)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("origin %q: a file origin names a local directory, as file:///srv/media", origin)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("origin %q: a file origin takes no query or fragment", origin)
		}
		if !filepath.IsAbs(u.Path) {
			return "", fmt.Errorf("origin %q: the directory must be an absolute path", origin)
		}
		dir := filepath.Clean(u.Path)
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			return "", fmt.Errorf("origin %q: %s is not an existing directory", origin, dir)
		}
		return "file://" + dir, nil
	case "http", "https":
		if u.Host == "" || u.Hostname() == "" {
			return "", fmt.Errorf("origin %q: an http origin needs a host", origin)
		}
		if u.User != nil {
			return "", fmt.Errorf("origin %q: credentials in the URL are not supported", origin)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return "", fmt.Errorf("origin %q: an http origin takes no query or fragment", origin)
		}
		return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
	default:
		return "", fmt.Errorf("origin %q: the scheme must be file, http or https", origin)
	}
}

// Repo is the typed, cached view of buckets.
type Repo struct{ *store.Collection[Bucket] }

// NewRepo returns the buckets of s.
func NewRepo(s store.Store) *Repo {
	return &Repo{store.NewCollection[Bucket](s, Kind)}
}

// Lookup returns the bucket name, reporting whether it exists.
func (r *Repo) Lookup(ctx context.Context, name string) (Bucket, bool, error) {
	b, err := r.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Bucket{}, false, nil
	}
	return b, err == nil, err
}
