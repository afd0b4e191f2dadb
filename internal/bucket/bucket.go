// Package bucket owns what a bucket is: its name, its origin (a local
// directory, an HTTP upstream or an S3 bucket), its access policy, its
// delivery settings (CORS rule, Cache-Control of public answers), and the
// rules that make each of them valid. Buckets are kept in the record store.
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

	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/objects"
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
	Name   string `json:"name"`
	Origin string `json:"origin"`
	Policy string `json:"policy"`
	// S3 says how to reach an s3:// origin; nil takes the gateway's
	// defaults (GATEWAY_S3_*) and the AWS credential chain.
	S3 *S3 `json:"s3,omitempty"`
	// CORS lets pages of other origins read the bucket's files with
	// fetch() or <video crossorigin>; nil: no CORS.
	CORS *cors.Rule `json:"cors,omitempty"`
	// CacheControl replaces the origin's Cache-Control on successful
	// answers while the bucket is public; "" keeps the origin's.
	CacheControl string    `json:"cache_control,omitempty"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
}

// Finder finds a bucket by name (Repo, or a stand-in in tests).
type Finder interface {
	Lookup(ctx context.Context, name string) (Bucket, bool, error)
}

// S3 is how to reach the S3 bucket of an s3:// origin. Every field is
// optional. The secret is write-only: Public drops it.
type S3 struct {
	Endpoint        string `json:"endpoint,omitempty"`
	Region          string `json:"region,omitempty"`
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	ForcePathStyle  *bool  `json:"force_path_style,omitempty"`
}

// Public is b as the admin API shows it: without the S3 secret.
func (b Bucket) Public() Bucket {
	if b.S3 != nil {
		s := *b.S3
		s.SecretAccessKey = ""
		b.S3 = &s
	}
	return b
}

// OriginKind reports "file", "s3" or "http" for a valid origin.
func (b Bucket) OriginKind() string {
	switch {
	case strings.HasPrefix(b.Origin, "file://"):
		return "file"
	case strings.HasPrefix(b.Origin, "s3://"):
		return "s3"
	}
	return "http"
}

// S3Config is how to reach the S3 bucket of an s3:// origin: the bucket
// and prefix of the origin, and its "s3" settings over defaults (the
// gateway's GATEWAY_S3_* settings). Settings left empty keep the default;
// an access key id brings its own secret, and without one the defaults'
// credentials (or the AWS credential chain) apply.
func (b Bucket) S3Config(defaults objects.S3Config) objects.S3Config {
	cfg := defaults
	cfg.Bucket, cfg.Prefix = b.S3Location()
	if s := b.S3; s != nil {
		if s.Endpoint != "" {
			cfg.Endpoint = s.Endpoint
		}
		if s.Region != "" {
			cfg.Region = s.Region
		}
		if s.ForcePathStyle != nil {
			cfg.ForcePathStyle = *s.ForcePathStyle
		}
		if s.AccessKeyID != "" {
			cfg.AccessKeyID, cfg.SecretAccessKey = s.AccessKeyID, s.SecretAccessKey
		}
	}
	return cfg
}

// S3Location is the bucket and key prefix of an s3:// origin.
func (b Bucket) S3Location() (bucket, prefix string) {
	rest := strings.TrimPrefix(b.Origin, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, prefix
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

// MaxCacheControlLen bounds a bucket's cache_control.
const MaxCacheControlLen = 256

// NormalizeCacheControl checks a bucket's cache_control and returns it
// trimmed: printable ASCII (no control characters, so no line break can
// split a header), at most MaxCacheControlLen bytes. "" means none.
func NormalizeCacheControl(cc string) (string, error) {
	cc = strings.TrimSpace(cc)
	if len(cc) > MaxCacheControlLen {
		return "", fmt.Errorf("cache_control is longer than %d characters", MaxCacheControlLen)
	}
	for i := 0; i < len(cc); i++ {
		if c := cc[i]; c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("cache_control %q must be printable ASCII, such as \"public, max-age=3600\"", cc)
		}
	}
	return cc, nil
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
	case "s3":
		return normalizeS3(origin, u)
	default:
		return "", fmt.Errorf("origin %q: the scheme must be file, http, https or s3", origin)
	}
}

// s3BucketPattern is S3's rule for bucket names.
var s3BucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func normalizeS3(origin string, u *url.URL) (string, error) {
	if !s3BucketPattern.MatchString(u.Host) || strings.Contains(u.Host, "..") {
		return "", fmt.Errorf("origin %q: %q is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)", origin, u.Host)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("origin %q: an s3 origin is s3://bucket/prefix, with no credentials, query or fragment (credentials go in \"s3\")", origin)
	}
	prefix := strings.Trim(u.Path, "/")
	if prefix != "" && !objects.ValidKey(prefix) {
		return "", fmt.Errorf("origin %q: the prefix %q is not a valid key prefix (no empty, \".\" or \"..\" segments)", origin, prefix)
	}
	if prefix == "" {
		return "s3://" + u.Host, nil
	}
	return "s3://" + u.Host + "/" + prefix, nil
}

// NormalizeS3 checks an s3 origin's settings; endpoint must be an http(s)
// URL with a host.
func NormalizeS3(s *S3) error {
	if s == nil {
		return nil
	}
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("s3.endpoint %q must be an http(s) URL with a host, such as https://s3.example.com", s.Endpoint)
		}
		s.Endpoint = strings.TrimRight(s.Endpoint, "/")
	}
	if len(s.Region) > 64 || strings.ContainsAny(s.Region, " /\\") {
		return fmt.Errorf("s3.region %q is not a region name", s.Region)
	}
	if s.AccessKeyID == "" && s.SecretAccessKey != "" {
		return errors.New("s3.secret_access_key needs s3.access_key_id")
	}
	if len(s.AccessKeyID) > 256 || len(s.SecretAccessKey) > 256 {
		return errors.New("s3 credentials are too long")
	}
	return nil
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
