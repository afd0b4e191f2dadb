// Package store owns the record store for admin state (signed-URL bases,
// buckets, domains, signing keys, API keys, ...): one interface with an
// embedded, file-backed implementation and a Redis one shared by every
// instance, and a typed, cached view (Collection) that every instance keeps
// fresh through change notifications.
package store

import (
	"context"
	"errors"
)

// Errors every implementation returns, so callers can test with errors.Is.
var (
	ErrNotFound = errors.New("record not found")
	ErrExists   = errors.New("record already exists")
	// ErrUnavailable matches (errors.Is) the errors of a store that cannot
	// be reached for now: the request may succeed when it is retried.
	ErrUnavailable = errors.New("record store unavailable")
)

// Change names a record that was written or deleted by any instance. An empty
// Kind means "anything may have changed" (for example after a lost
// notification), and every cached view must reload.
type Change struct {
	Kind string
	ID   string
}

// Store keeps opaque records, grouped by kind and named by id.
//
// Writes are atomic: a reader sees the old record or the new one, never a
// part. Subscribe reports every change made by this or any other instance
// sharing the store; implementations promise delivery within one second.
type Store interface {
	Get(ctx context.Context, kind, id string) ([]byte, error)
	List(ctx context.Context, kind string) (map[string][]byte, error)
	// Put creates or replaces a record.
	Put(ctx context.Context, kind, id string, data []byte) error
	// Create stores a record only if none has that id, else ErrExists.
	Create(ctx context.Context, kind, id string, data []byte) error
	// Delete removes a record, or returns ErrNotFound.
	Delete(ctx context.Context, kind, id string) error
	// Subscribe calls fn for every change until cancel is called. fn must
	// not block for long.
	Subscribe(fn func(Change)) (cancel func())
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	Close() error
}
