package s3api

// This file owns S3 access keys as records: what one is, how its id and
// secret are made, and the cached view the endpoint looks keys up in.

import (
	"context"
	"crypto/rand"
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/store"
)

// KeyKind is the record-store kind of access keys.
const KeyKind = "access-keys"

// Permissions an access key may carry.
const (
	Read  = "read"  // GetObject, HeadObject, ListObjectsV2
	Write = "write" // PutObject, DeleteObject
)

// AccessKey is one access key as stored. The secret is kept: SigV4 is an
// HMAC, so checking a signature needs it. The admin API shows it once, at
// creation.
type AccessKey struct {
	ID          string    `json:"access_key_id"`
	Secret      string    `json:"secret_access_key"`
	Bucket      string    `json:"bucket"`
	Permissions []string  `json:"permissions"`
	Name        *string   `json:"name"`
	Created     time.Time `json:"created"`
	// BucketCreated is the creation time of the bucket the key was made
	// for: a bucket deleted and made again under the same name is another
	// bucket, which its predecessor's keys must not open.
	BucketCreated time.Time `json:"bucket_created"`
}

// Allows reports whether the key carries permission.
func (k AccessKey) Allows(permission string) bool { return slices.Contains(k.Permissions, permission) }

// Lengths of AWS's access keys, which SDKs and tools expect.
const (
	idLen     = 20
	secretLen = 40
)

var idPattern = regexp.MustCompile(`^GK[A-Z2-7]{18}$`)

// NewKeyID makes an access key id: "GK" and 18 characters of base32's
// upper-case alphabet, 20 in all as AWS's are (90 random bits).
func NewKeyID() string { return "GK" + randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", idLen-2) }

// NewSecret makes a secret of 40 characters of base64's alphabet, as
// AWS's secret access keys are (238 random bits).
func NewSecret() string {
	return randomString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", secretLen)
}

// randomString draws n characters of alphabet, whose length divides 256,
// from crypto/rand.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// KeyRepo is the cached view of access keys. Lookups are answered from
// memory, or from the store for a key not in memory yet; a key deleted on
// any instance leaves every instance's view as soon as the store's change
// notification arrives (or its version poll sees the change), well within
// a second.
type KeyRepo struct {
	*store.Collection[AccessKey]
}

// NewKeyRepo returns the access keys of s.
func NewKeyRepo(s store.Store) *KeyRepo {
	return &KeyRepo{store.NewCollection[AccessKey](s, KeyKind)}
}

// Lookup returns the key with id, reporting whether it exists.
func (r *KeyRepo) Lookup(ctx context.Context, id string) (AccessKey, bool, error) {
	if !idPattern.MatchString(id) {
		return AccessKey{}, false, nil
	}
	k, err := r.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Made on another instance a moment ago, perhaps: a key is usable
		// everywhere as soon as its creation has answered. (A deleted key
		// leaves the snapshot when the change notification arrives.)
		k, err = r.Fresh(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return AccessKey{}, false, nil
	}
	return k, err == nil, err
}

// DeleteOrphans deletes the keys whose bucket no longer exists or was made
// again since; it returns their ids (see bucket.DeleteOrphans).
func (r *KeyRepo) DeleteOrphans(ctx context.Context, buckets bucket.Finder) ([]string, error) {
	return bucket.DeleteOrphans(ctx, r.Collection, buckets, func(k AccessKey) (string, string, time.Time) {
		return k.ID, k.Bucket, k.BucketCreated
	})
}
