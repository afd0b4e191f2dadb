package signedurl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// pathKind holds one record per base path, created atomically before the
// base: two instances creating bases with one path at once cannot both win.
const pathKind = "signed-url-base-paths"

// ErrPathTaken is returned by Create when another base has the path.
var ErrPathTaken = errors.New("another signed-URL base has this path")

// Repo keeps the bases: a cached collection for the admin API, and an index
// by path for routing, rebuilt after every change on any instance.
type Repo struct {
	store store.Store
	bases *store.Collection[Base]

	mu     sync.RWMutex
	byPath map[string]Base // nil: must reload
	gen    uint64
	cancel func()
}

// NewRepo returns the bases of s.
func NewRepo(s store.Store) *Repo {
	r := &Repo{store: s, bases: store.NewCollection[Base](s, Kind)}
	r.cancel = s.Subscribe(func(ch store.Change) {
		if ch.Kind == "" || ch.Kind == Kind {
			r.invalidate()
		}
	})
	return r
}

// Close stops following changes.
func (r *Repo) Close() {
	r.cancel()
	r.bases.Close()
}

func (r *Repo) invalidate() {
	r.mu.Lock()
	r.byPath = nil
	r.gen++
	r.mu.Unlock()
}

// generation changes whenever any base does, on any instance.
func (r *Repo) generation() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.gen
}

// ByPath returns the base whose path is path. It costs one map lookup
// unless a change dropped the index.
func (r *Repo) ByPath(ctx context.Context, path string) (Base, bool, error) {
	r.mu.RLock()
	idx, gen := r.byPath, r.gen
	r.mu.RUnlock()
	if idx == nil {
		// Read the store, not the collection: the collection may not have
		// seen the change that dropped this index yet.
		raw, err := r.store.List(ctx, Kind)
		if err != nil {
			return Base{}, false, err
		}
		idx = make(map[string]Base, len(raw))
		for id, data := range raw {
			var b Base
			if err := json.Unmarshal(data, &b); err != nil {
				return Base{}, false, fmt.Errorf("decode signed-URL base %q: %w", id, err)
			}
			b.key = urlsig.NewKey([]byte(b.Secret))
			idx[b.Path()] = b
		}
		r.mu.Lock()
		if r.gen == gen {
			r.byPath = idx
		}
		r.mu.Unlock()
	}
	b, ok := idx[path]
	return b, ok, nil
}

// Get returns the base id, or store.ErrNotFound.
func (r *Repo) Get(ctx context.Context, id string) (Base, error) { return r.bases.Get(ctx, id) }

// List returns every base, ordered by id.
func (r *Repo) List(ctx context.Context) ([]Base, error) { return r.bases.List(ctx) }

func pathID(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:])
}

// Create stores b. It returns store.ErrExists when the id is taken and
// ErrPathTaken when the path is.
func (r *Repo) Create(ctx context.Context, b Base) error {
	claim, err := json.Marshal(map[string]string{"base_id": b.ID, "path": b.Path()})
	if err != nil {
		return err
	}
	if err := r.store.Create(ctx, pathKind, pathID(b.Path()), claim); err != nil {
		if errors.Is(err, store.ErrExists) {
			return ErrPathTaken
		}
		return err
	}
	if err := r.bases.Create(ctx, b.ID, b); err != nil {
		// Give the path back, or it stays taken by nothing.
		if derr := r.store.Delete(context.WithoutCancel(ctx), pathKind, pathID(b.Path())); derr != nil {
			err = errors.Join(err, derr)
		}
		return err
	}
	return nil
}

// Delete removes the base id and frees its path.
func (r *Repo) Delete(ctx context.Context, id string) error {
	b, err := r.bases.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := r.bases.Delete(ctx, id); err != nil {
		return err
	}
	if err := r.store.Delete(ctx, pathKind, pathID(b.Path())); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
