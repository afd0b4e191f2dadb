package jobstate

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// pruneBudget bounds the expired entries one Put looks at, so that no Put
// pays for a large backlog at once.
const pruneBudget = 32

// Memory is the store of one process (the embedded default): a map with
// expiry, whose watchers are told synchronously by Put.
type Memory struct {
	mu       sync.Mutex
	entries  map[string]*memEntry
	expiries expiryHeap // every entry once, by the expiry it was filed under
	watchers watchers
	now      func() time.Time
}

var _ Store = (*Memory)(nil)

type memEntry struct {
	id    string
	st    State
	until time.Time // when the state expires
	filed time.Time // when the entry is filed to expire in expiries (<= until)
	index int       // its place in expiries
}

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{entries: map[string]*memEntry{}, now: time.Now}
}

// Put implements Store.
func (m *Memory) Put(_ context.Context, id string, st State, ttl time.Duration) (bool, error) {
	if err := check(st, ttl); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.prune(now)
	e := m.entries[id]
	if e != nil && now.Before(e.until) && (e.st.Final || e.st.Attempt > st.Attempt) {
		return false, nil
	}
	st = clone(st)
	if e == nil {
		e = &memEntry{id: id, filed: now.Add(ttl)}
		m.entries[id] = e
		heap.Push(&m.expiries, e)
	}
	// A later expiry than the filed one is found when the entry comes up
	// in prune; an earlier one must be filed now.
	e.st, e.until = st, now.Add(ttl)
	if e.until.Before(e.filed) {
		e.filed = e.until
		heap.Fix(&m.expiries, e.index)
	}
	// Under m.mu: watchers see the states in the order they were stored.
	m.watchers.deliver(id, st)
	return true, nil
}

// prune deletes expired entries, at most pruneBudget of them; m.mu is held.
// An entry whose state was put again since it was filed is filed again
// under its new expiry.
func (m *Memory) prune(now time.Time) {
	for range pruneBudget {
		if len(m.expiries) == 0 || now.Before(m.expiries[0].filed) {
			return
		}
		e := m.expiries[0]
		if now.Before(e.until) {
			e.filed = e.until
			heap.Fix(&m.expiries, 0)
			continue
		}
		heap.Pop(&m.expiries)
		delete(m.entries, e.id)
	}
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, id string) (State, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[id]
	if e == nil || !m.now().Before(e.until) {
		return State{}, false, nil
	}
	return clone(e.st), true, nil
}

// Watch implements Store.
func (m *Memory) Watch(id string) (<-chan State, func()) { return m.watchers.watch(id) }

// Close implements Store; a Memory has no background work.
func (m *Memory) Close() error { return nil }

// expiryHeap orders entries by the expiry they were filed under.
type expiryHeap []*memEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].filed.Before(h[j].filed) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*memEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
