package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Collection is a typed view of one kind of record. Reads are served from an
// in-memory snapshot so that hot paths (a delivery request looking up its
// bucket and key) cost no round trip; the snapshot is dropped whenever the
// store reports a change of this kind, by this instance or any other.
type Collection[T any] struct {
	store Store
	kind  string

	mu       sync.RWMutex
	snapshot map[string]T // nil: must reload
	gen      uint64       // bumped by every invalidation

	cancel func()
}

// NewCollection returns the view of kind in s.
func NewCollection[T any](s Store, kind string) *Collection[T] {
	c := &Collection[T]{store: s, kind: kind}
	c.cancel = s.Subscribe(func(ch Change) {
		if ch.Kind == "" || ch.Kind == kind {
			c.invalidate()
		}
	})
	return c
}

// Close stops following changes.
func (c *Collection[T]) Close() { c.cancel() }

func (c *Collection[T]) invalidate() {
	c.mu.Lock()
	c.snapshot = nil
	c.gen++
	c.mu.Unlock()
}

func (c *Collection[T]) load(ctx context.Context) (map[string]T, error) {
	c.mu.RLock()
	snap, gen := c.snapshot, c.gen
	c.mu.RUnlock()
	if snap != nil {
		return snap, nil
	}
	raw, err := c.store.List(ctx, c.kind)
	if err != nil {
		return nil, err
	}
	snap = make(map[string]T, len(raw))
	for id, data := range raw {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", c.kind, id, err)
		}
		snap[id] = v
	}
	c.mu.Lock()
	// A change that arrived while we read makes what we read stale: use it
	// for this call but do not keep it.
	if c.gen == gen {
		c.snapshot = snap
	}
	c.mu.Unlock()
	return snap, nil
}

// Get returns the record id, or ErrNotFound.
func (c *Collection[T]) Get(ctx context.Context, id string) (T, error) {
	snap, err := c.load(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	v, ok := snap[id]
	if !ok {
		var zero T
		return zero, ErrNotFound
	}
	return v, nil
}

// Fresh reads the record id from the store itself, past the snapshot
// (ErrNotFound when it has none): for a record made on another instance a
// moment ago, which this one's snapshot may not have yet.
func (c *Collection[T]) Fresh(ctx context.Context, id string) (T, error) {
	var v T
	data, err := c.store.Get(ctx, c.kind, id)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("decode %s %q: %w", c.kind, id, err)
	}
	return v, nil
}

// List returns every record, ordered by id.
func (c *Collection[T]) List(ctx context.Context) ([]T, error) {
	snap, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(snap))
	for id := range snap {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		out = append(out, snap[id])
	}
	return out, nil
}

// Put creates or replaces the record id.
func (c *Collection[T]) Put(ctx context.Context, id string, v T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", c.kind, id, err)
	}
	err = c.store.Put(ctx, c.kind, id, data)
	c.invalidate()
	return err
}

// Create stores the record id unless it exists (ErrExists).
func (c *Collection[T]) Create(ctx context.Context, id string, v T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", c.kind, id, err)
	}
	err = c.store.Create(ctx, c.kind, id, data)
	if err == nil {
		c.invalidate()
	}
	return err
}

// Delete removes the record id, or returns ErrNotFound.
func (c *Collection[T]) Delete(ctx context.Context, id string) error {
	err := c.store.Delete(ctx, c.kind, id)
	if err == nil || errors.Is(err, ErrNotFound) {
		c.invalidate()
	}
	return err
}
