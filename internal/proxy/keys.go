package proxy

// This file owns the signing keys of authenticated buckets as
// records: their admin API (create, list, get, rename, delete), where they
// are kept, and the lookup that turns a token's kid into a live public key.
// The key material itself (generating, parsing) belongs to signingkey; the
// private half is handed out once, at creation, and never stored.

import (
	"context"
	"crypto/rsa"
	"errors"
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/verify/token"
)

// KeyKind is the record-store kind of signing keys.
const KeyKind = "signing-keys"

// CreatedLayout is how the admin API writes creation times, as the seed
// system does ("2023-06-12 15:00:40", UTC).
const CreatedLayout = "2006-01-02 15:04:05"

// KeyRecord is a signing key as stored: the public half only.
type KeyRecord struct {
	ID        string    `json:"id"`
	Bucket    string    `json:"bucket"`
	Name      *string   `json:"name"`
	PublicKey string    `json:"public_key"` // PKIX PEM
	Created   time.Time `json:"created"`
	// BucketCreated is the creation time of the bucket the key was made
	// for. A bucket deleted and made again under the same name is another
	// bucket: its predecessor's keys must not open it.
	BucketCreated time.Time `json:"bucket_created"`
}

// KeyRepo is the cached view of signing keys, with parsed public keys.
type KeyRepo struct {
	*store.Collection[KeyRecord]

	mu     sync.RWMutex
	parsed map[string]parsedKey // by id
}

// parsedKey remembers the PEM it came from, so that a record replaced
// under the same id is never answered with the old key.
type parsedKey struct {
	pem string
	pub *rsa.PublicKey
}

// NewKeyRepo returns the signing keys of s.
func NewKeyRepo(s store.Store) *KeyRepo {
	return &KeyRepo{Collection: store.NewCollection[KeyRecord](s, KeyKind), parsed: map[string]parsedKey{}}
}

// Lookup returns the live key kid as the token verifier wants it. The
// record comes from the cached collection, which every instance drops
// within a second of any change, so a deleted key stops here. b is the
// bucket the request is for: a key made for an earlier bucket of the same
// name is reported as unknown. An error means the store did not answer.
func (r *KeyRepo) Lookup(ctx context.Context, kid string, b bucket.Bucket) (token.Key, bool, error) {
	rec, err := r.Get(ctx, kid)
	if errors.Is(err, store.ErrNotFound) {
		return token.Key{}, false, nil
	}
	if err != nil {
		return token.Key{}, false, err
	}
	if rec.Bucket == b.Name && !rec.BucketCreated.Equal(b.Created) {
		return token.Key{}, false, nil
	}
	pub := r.public(rec)
	if pub == nil {
		return token.Key{}, false, nil
	}
	return token.Key{ID: rec.ID, Bucket: rec.Bucket, Public: pub, Alg: token.AlgRS256}, true, nil
}

// public parses rec's key once; parsing PKIX costs more than the lookup.
func (r *KeyRepo) public(rec KeyRecord) *rsa.PublicKey {
	r.mu.RLock()
	p, ok := r.parsed[rec.ID]
	r.mu.RUnlock()
	if ok && p.pem == rec.PublicKey {
		return p.pub
	}
	pub, err := token.ParsePublic([]byte(rec.PublicKey))
	if err != nil {
		return nil
	}
	r.mu.Lock()
	r.parsed[rec.ID] = parsedKey{pem: rec.PublicKey, pub: pub}
	r.mu.Unlock()
	return pub
}

// Forget drops the parsed key of id, after the record was deleted.
func (r *KeyRepo) Forget(id string) {
	r.mu.Lock()
	delete(r.parsed, id)
	r.mu.Unlock()
}

// DeleteOrphans deletes the keys whose bucket no longer exists or was made
// again since; it returns their ids (see bucket.DeleteOrphans).
func (r *KeyRepo) DeleteOrphans(ctx context.Context, buckets bucket.Finder) ([]string, error) {
	return bucket.DeleteOrphans(ctx, r.Collection, buckets, func(k KeyRecord) (string, string, time.Time) {
		return k.ID, k.Bucket, k.BucketCreated
	})
}
