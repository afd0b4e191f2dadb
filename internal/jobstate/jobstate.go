// Package jobstate keeps the state of conversion jobs where every gateway
// instance sees it: the worker that runs a job writes its status as it goes
// (progress, then the final status), the instance that received the request
// follows it, and GET /v1/jobs/{id} on any instance reads it.
//
// A state is opaque JSON in the API's shape, with two facts the store itself
// enforces: a final state never changes, and a state written by one attempt
// of a job never replaces a state of a later attempt, so a worker whose
// lease was taken over cannot overwrite its successor's progress.
//
// Memory is the store of one process (the embedded default); Redis is shared
// by every instance on one Redis (single, Sentinel or Cluster). Both notify
// watchers of every state put; that notification is best effort (a dropped
// Redis connection loses messages), so callers also poll Get.
package jobstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// State is a job's status as every instance sees it.
type State struct {
	// Status is the job's status JSON, in the API's shape.
	Status json.RawMessage `json:"status"`
	// Final is set once the job has ended; a final state never changes.
	Final bool `json:"final,omitempty"`
	// Attempt is the attempt of the job that wrote the state (1 the first
	// time). A state never replaces one of a later attempt, so a worker
	// whose lease was taken over cannot overwrite its successor's progress.
	Attempt int `json:"attempt"`
}

// Store keeps job states for every instance. Memory is the embedded one;
// Redis is shared by every instance.
type Store interface {
	// Put saves st as id's state, kept for ttl, and tells id's watchers on
	// every instance. It returns false, and changes nothing, when the
	// stored state is final or was written by a later attempt
	// (st.Attempt < stored.Attempt). Equal attempts may replace each
	// other. st.Status must be valid JSON and ttl positive.
	Put(ctx context.Context, id string, st State, ttl time.Duration) (bool, error)
	// Get returns id's state; false when there is none (never written, or
	// expired).
	Get(ctx context.Context, id string) (State, bool, error)
	// Watch delivers the states Put for id from now on, by any instance.
	// The channel holds at most one state: a slow reader misses
	// intermediate states, never the latest one (the buffered one is
	// replaced with the newer). The channel is never closed. cancel stops
	// delivery and must be called; it is safe to call twice. Delivery is
	// best effort (a dropped Redis connection loses messages): callers
	// also poll Get.
	Watch(id string) (states <-chan State, cancel func())
	// Close stops the store's background work (Redis: the subscription).
	// Calling it again does nothing.
	Close() error
}

// Errors of Put.
var (
	// ErrInvalidStatus: the status is not valid JSON.
	ErrInvalidStatus = errors.New("jobstate: the status is not valid JSON")
	// ErrInvalidTTL: the time to keep the state is not positive.
	ErrInvalidTTL = errors.New("jobstate: the ttl is not positive")
)

// check refuses what Put cannot store.
func check(st State, ttl time.Duration) error {
	if !json.Valid(st.Status) {
		return ErrInvalidStatus
	}
	if ttl <= 0 {
		return ErrInvalidTTL
	}
	return nil
}

// clone is st with a status of its own, so that no caller can change
// another's (or the store's) copy.
func clone(st State) State {
	st.Status = bytes.Clone(st.Status)
	return st
}

// watchers are the watchers of one instance, by job id.
type watchers struct {
	mu   sync.Mutex
	byID map[string]map[chan State]struct{}
}

// watch registers a watcher of id.
func (w *watchers) watch(id string) (<-chan State, func()) {
	ch := make(chan State, 1)
	w.mu.Lock()
	if w.byID == nil {
		w.byID = map[string]map[chan State]struct{}{}
	}
	set := w.byID[id]
	if set == nil {
		set = map[chan State]struct{}{}
		w.byID[id] = set
	}
	set[ch] = struct{}{}
	w.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			delete(w.byID[id], ch)
			if len(w.byID[id]) == 0 {
				delete(w.byID, id)
			}
		})
	}
}

// deliver hands st to every watcher of id without waiting: a watcher's
// buffered state, not read yet, is replaced with st. Deliveries are
// serialized, so the last state a watcher gets is the last one delivered.
func (w *watchers) deliver(id string, st State) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.byID[id] {
		offer(ch, clone(st))
	}
}

// offer puts st in ch, a channel of one, replacing what it holds. Only one
// goroutine sends at a time (w.mu), so the loop ends at the second try at
// most unless the reader takes the old state meanwhile, which frees room.
func offer(ch chan State, st State) {
	for {
		select {
		case ch <- st:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}
