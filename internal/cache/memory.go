package cache

import (
	"context"
	"sync"
	"time"
)

// NewMemory returns a cache kept in this process: for the embedded default,
// where one instance serves every request.
func NewMemory(opts Options) *Cache {
	opts.defaults()
	return &Cache{b: newMemory(opts.MaxEntries), opts: opts}
}

type memItem struct {
	value   string
	entry   Entry
	expires time.Time
}

// memory keeps results, locks and statuses in three maps with expiry
// times. The results map is bounded: when full, expired entries are swept
// and, if that is not enough, the entry closest to expiry goes.
type memory struct {
	max int

	mu       sync.Mutex
	results  map[string]memItem
	locks    map[string]memItem
	statuses map[string]memItem
	subs     map[string]map[chan Entry]struct{}
}

func newMemory(max int) *memory {
	return &memory{
		max:      max,
		results:  map[string]memItem{},
		locks:    map[string]memItem{},
		statuses: map[string]memItem{},
		subs:     map[string]map[chan Entry]struct{}{},
	}
}

// live returns m[k] unless it expired (and then forgets it).
func live(m map[string]memItem, k string, now time.Time) (memItem, bool) {
	it, ok := m[k]
	if !ok {
		return memItem{}, false
	}
	if !now.Before(it.expires) {
		delete(m, k)
		return memItem{}, false
	}
	return it, true
}

// bound makes room for one more item in m.
func bound(m map[string]memItem, max int, now time.Time) {
	if len(m) < max {
		return
	}
	for k, it := range m {
		if !now.Before(it.expires) {
			delete(m, k)
		}
	}
	for len(m) >= max {
		var victim string
		var soonest time.Time
		for k, it := range m {
			if victim == "" || it.expires.Before(soonest) {
				victim, soonest = k, it.expires
			}
		}
		delete(m, victim)
	}
}

func (m *memory) getResult(_ context.Context, k string) (Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := live(m.results, k, time.Now())
	return it.entry, ok, nil
}

func (m *memory) setResult(_ context.Context, k string, e Entry, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if _, ok := m.results[k]; !ok {
		bound(m.results, m.max, now)
	}
	m.results[k] = memItem{entry: e, expires: now.Add(ttl)}
	return nil
}

func (m *memory) acquire(_ context.Context, k, value string, lease time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if _, held := live(m.locks, k, now); held {
		return false, nil
	}
	m.locks[k] = memItem{value: value, expires: now.Add(lease)}
	return true, nil
}

func (m *memory) swap(_ context.Context, k, old, value string, lease time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	it, held := live(m.locks, k, now)
	if !held || it.value != old {
		return false, nil
	}
	m.locks[k] = memItem{value: value, expires: now.Add(lease)}
	return true, nil
}

func (m *memory) release(_ context.Context, k, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it, ok := m.locks[k]; ok && it.value == value {
		delete(m.locks, k)
	}
	return nil
}

func (m *memory) locked(_ context.Context, k string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, held := live(m.locks, k, time.Now())
	return held, nil
}

func (m *memory) setStatus(_ context.Context, k string, e Entry, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if _, ok := m.statuses[k]; !ok {
		bound(m.statuses, m.max, now)
	}
	m.statuses[k] = memItem{entry: e, expires: now.Add(ttl)}
	return nil
}

func (m *memory) getStatus(_ context.Context, k string) (Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := live(m.statuses, k, time.Now())
	return it.entry, ok, nil
}

func (m *memory) publish(_ context.Context, k string, e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ch := range m.subs[k] {
		select {
		case ch <- e:
		default: // one signal is all a waiter needs
		}
	}
	return nil
}

func (m *memory) subscribe(k string) (<-chan Entry, func()) {
	ch := make(chan Entry, 1)
	m.mu.Lock()
	if m.subs[k] == nil {
		m.subs[k] = map[chan Entry]struct{}{}
	}
	m.subs[k][ch] = struct{}{}
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		delete(m.subs[k], ch)
		if len(m.subs[k]) == 0 {
			delete(m.subs, k)
		}
		m.mu.Unlock()
	}
}

func (m *memory) close() error { return nil }
