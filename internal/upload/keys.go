package upload

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"time"

	"github.com/signedgate/gateway/internal/store"
)

// Record-store kinds.
const (
	KeyKind    = "api-keys"
	PresetKind = "upload-presets"
)

// APIKey is an upload API key: its secret signs requests for one cloud name,
// whose uploads land in one bucket.
type APIKey struct {
	APIKey    string    `json:"api_key"`
	APISecret string    `json:"api_secret,omitempty"`
	CloudName string    `json:"cloud_name"`
	Bucket    string    `json:"bucket"`
	Created   time.Time `json:"created"`
}

// Public is the key without its secret, as listed after creation.
func (k APIKey) Public() APIKey {
	k.APISecret = ""
	return k
}

var (
	// Cloud names appear as the first path segment of delivery URLs, so
	// they stay URL-safe and lower-case, as Cloudinary's do.
	cloudPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9_-]{0,62})$`)
	keyPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	// Bringing an existing Cloudinary secret must work, and documentation
	// examples use short ones ("abcd"); generated secrets are 27 characters.
	secretPattern = regexp.MustCompile(`^[\x21-\x7e]{4,128}$`)
)

// reservedClouds are first path segments other routes of the gateway own;
// a cloud of that name could never be delivered from.
var reservedClouds = map[string]bool{
	"v1": true, "v1_1": true, "media": true, "s3": true, "healthz": true, "readyz": true, "metrics": true,
}

// ValidateCloudName explains what is wrong with name, or returns nil.
func ValidateCloudName(name string) error {
	if !cloudPattern.MatchString(name) {
		return fmt.Errorf("cloud_name %q is invalid: use 1 to 63 lower-case letters, digits, '-' and '_', starting with a letter or digit", name)
	}
	if reservedClouds[name] {
		return fmt.Errorf("cloud_name %q is reserved by the gateway's own routes", name)
	}
	return nil
}

// ValidateKey explains what is wrong with a caller-chosen API key.
func ValidateKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("api_key %q is invalid: use 6 to 64 letters, digits, '-' and '_'", key)
	}
	return nil
}

// ValidateSecret explains what is wrong with a caller-chosen secret without
// echoing it.
func ValidateSecret(secret string) error {
	if !secretPattern.MatchString(secret) {
		return errors.New("api_secret is invalid: use 4 to 128 printable ASCII characters without spaces")
	}
	return nil
}

const (
	digits     = "0123456789"
	urlSafe    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString draws n characters of alphabet from crypto/rand.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// NewKeyID is a 15-digit key like Cloudinary's, never starting with 0.
func NewKeyID() string { return randomString("123456789", 1) + randomString(digits, 14) }

// NewSecret is 27 URL-safe characters like Cloudinary's secrets.
func NewSecret() string { return randomString(urlSafe, 27) }

// KeyRepo is the cached view of API keys.
type KeyRepo struct {
	*store.Collection[APIKey]
	store store.Store
}

// NewKeyRepo returns the API keys of s.
func NewKeyRepo(s store.Store) *KeyRepo {
	return &KeyRepo{store.NewCollection[APIKey](s, KeyKind), s}
}

// LookupFresh reads the key from the store itself, past the cache: an
// upload is refused the moment its key is deleted on any instance, not
// after the change notification arrives. Uploads are not a hot path, so
// one store round trip each is cheap.
func (r *KeyRepo) LookupFresh(ctx context.Context, key string) (APIKey, bool, error) {
	return lookupFresh[APIKey](ctx, r.store, KeyKind, key)
}

func lookupFresh[T any](ctx context.Context, s store.Store, kind, id string) (T, bool, error) {
	var v T
	data, err := s.Get(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, false, fmt.Errorf("decode %s %q: %w", kind, id, err)
	}
	return v, true, nil
}

// Lookup returns the key, reporting whether it exists.
func (r *KeyRepo) Lookup(ctx context.Context, key string) (APIKey, bool, error) {
	k, err := r.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return APIKey{}, false, nil
	}
	return k, err == nil, err
}

// ForCloud returns every key of cloud.
func (r *KeyRepo) ForCloud(ctx context.Context, cloud string) ([]APIKey, error) {
	all, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []APIKey
	for _, k := range all {
		if k.CloudName == cloud {
			out = append(out, k)
		}
	}
	return out, nil
}

// Preset is an upload preset. Only presets marked Unsigned admit uploads
// that carry no signature.
type Preset struct {
	Name      string    `json:"name"`
	CloudName string    `json:"cloud_name"`
	Bucket    string    `json:"bucket"`
	Unsigned  bool      `json:"unsigned"`
	Folder    string    `json:"folder,omitempty"`
	Created   time.Time `json:"created"`
}

var presetPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidatePresetName explains what is wrong with name, or returns nil.
func ValidatePresetName(name string) error {
	if !presetPattern.MatchString(name) {
		return fmt.Errorf("preset name %q is invalid: use 1 to 64 letters, digits, '-' and '_'", name)
	}
	return nil
}

// PresetRepo is the cached view of upload presets.
type PresetRepo struct {
	*store.Collection[Preset]
	store store.Store
}

// NewPresetRepo returns the upload presets of s.
func NewPresetRepo(s store.Store) *PresetRepo {
	return &PresetRepo{store.NewCollection[Preset](s, PresetKind), s}
}

// LookupFresh reads the preset past the cache, like KeyRepo.LookupFresh.
func (r *PresetRepo) LookupFresh(ctx context.Context, name string) (Preset, bool, error) {
	return lookupFresh[Preset](ctx, r.store, PresetKind, name)
}

// Lookup returns the preset, reporting whether it exists.
func (r *PresetRepo) Lookup(ctx context.Context, name string) (Preset, bool, error) {
	p, err := r.Get(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Preset{}, false, nil
	}
	return p, err == nil, err
}
