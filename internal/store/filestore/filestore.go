// Package filestore is the embedded record store: one JSON file per kind of
// record in the data directory, rewritten whole through a temporary file,
// fsync and rename, so that a crash never leaves a half-written file. It is
// made for one process; a lock file keeps a second gateway from sharing the
// directory (several instances share state through Redis instead).
package filestore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"

	"github.com/signedgate/gateway/internal/store"
)

// Store keeps records under dir/records.
type Store struct {
	store.Notifier

	dir  string
	lock *os.File

	mu    sync.Mutex
	kinds map[string]map[string]json.RawMessage // loaded lazily
}

var _ store.Store = (*Store)(nil)

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// Open opens (creating if needed) the store in dataDir and takes its lock.
func Open(dataDir string) (*Store, error) {
	dir := filepath.Join(dataDir, "records")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create record directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("data directory %s is in use by another gateway process (set GATEWAY_REDIS_URL to run several instances): %w", dataDir, err)
	}
	return &Store{dir: dir, lock: lock, kinds: map[string]map[string]json.RawMessage{}}, nil
}

// Close releases the lock.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close() // closing the descriptor releases the flock
	s.lock = nil
	return err
}

// Ping always answers: the store is local.
func (s *Store) Ping(context.Context) error { return nil }

func (s *Store) path(kind string) string { return filepath.Join(s.dir, kind+".json") }

// records returns the records of kind, loading them on first use. The caller
// holds s.mu.
func (s *Store) records(kind string) (map[string]json.RawMessage, error) {
	if !kindPattern.MatchString(kind) {
		return nil, fmt.Errorf("invalid record kind %q", kind)
	}
	if recs, ok := s.kinds[kind]; ok {
		return recs, nil
	}
	recs := map[string]json.RawMessage{}
	data, err := os.ReadFile(s.path(kind))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s records: %w", kind, err)
	default:
		if err := json.Unmarshal(data, &recs); err != nil {
			return nil, fmt.Errorf("decode %s: %w", s.path(kind), err)
		}
	}
	s.kinds[kind] = recs
	return recs, nil
}

// save writes recs as the new content of kind's file, atomically. The caller
// holds s.mu.
func (s *Store) save(kind string, recs map[string]json.RawMessage) error {
	data, err := json.Marshal(recs)
	if err != nil {
		return fmt.Errorf("encode %s records: %w", kind, err)
	}
	return WriteFileAtomic(s.path(kind), data, 0o600)
}

// Get returns one record.
func (s *Store) Get(_ context.Context, kind, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.records(kind)
	if err != nil {
		return nil, err
	}
	data, ok := recs[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return bytes.Clone(data), nil
}

// List returns every record of kind.
func (s *Store) List(_ context.Context, kind string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.records(kind)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(recs))
	for id, data := range recs {
		out[id] = bytes.Clone(data)
	}
	return out, nil
}

// Put creates or replaces a record.
func (s *Store) Put(ctx context.Context, kind, id string, data []byte) error {
	return s.write(kind, id, data, false)
}

// Create stores a record unless one has that id.
func (s *Store) Create(ctx context.Context, kind, id string, data []byte) error {
	return s.write(kind, id, data, true)
}

func (s *Store) write(kind, id string, data []byte, mustBeNew bool) error {
	if !json.Valid(data) {
		return fmt.Errorf("record %s/%s is not JSON", kind, id)
	}
	s.mu.Lock()
	recs, err := s.records(kind)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if _, exists := recs[id]; exists && mustBeNew {
		s.mu.Unlock()
		return store.ErrExists
	}
	next := make(map[string]json.RawMessage, len(recs)+1)
	for k, v := range recs {
		next[k] = v
	}
	next[id] = bytes.Clone(data)
	if err := s.save(kind, next); err != nil {
		s.mu.Unlock()
		return err
	}
	s.kinds[kind] = next
	s.mu.Unlock()
	s.Notify(store.Change{Kind: kind, ID: id})
	return nil
}

// Delete removes a record.
func (s *Store) Delete(_ context.Context, kind, id string) error {
	s.mu.Lock()
	recs, err := s.records(kind)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if _, ok := recs[id]; !ok {
		s.mu.Unlock()
		return store.ErrNotFound
	}
	next := make(map[string]json.RawMessage, len(recs))
	for k, v := range recs {
		if k != id {
			next[k] = v
		}
	}
	if err := s.save(kind, next); err != nil {
		s.mu.Unlock()
		return err
	}
	s.kinds[kind] = next
	s.mu.Unlock()
	s.Notify(store.Change{Kind: kind, ID: id})
	return nil
}
