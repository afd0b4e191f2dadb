package bucket

import (
	"context"
	"errors"
	"time"

	"github.com/signedgate/gateway/internal/store"
)

// Records is a kind of record made for one bucket each (signing keys,
// access keys): what DeleteOrphans needs of its collection.
type Records[T any] interface {
	List(ctx context.Context) ([]T, error)
	Delete(ctx context.Context, id string) error
}

// Owner says which record rec is, and which bucket it was made for: the
// bucket's name and creation time.
type Owner[T any] func(rec T) (id, bucket string, bucketCreated time.Time)

// DeleteOrphans deletes the records whose bucket no longer exists or was
// made again since (another bucket under the same name), and returns their
// ids. Lookups refuse such records already; deleting them also takes them
// out of the admin listings.
func DeleteOrphans[T any](ctx context.Context, records Records[T], buckets Finder, owner Owner[T]) ([]string, error) {
	all, err := records.List(ctx)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, rec := range all {
		id, name, created := owner(rec)
		b, ok, err := buckets.Lookup(ctx, name)
		if err != nil {
			return gone, err
		}
		if ok && b.Created.Equal(created) {
			continue
		}
		if err := records.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return gone, err
		}
		gone = append(gone, id)
	}
	return gone, nil
}
