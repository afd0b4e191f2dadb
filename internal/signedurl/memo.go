package signedurl

import "sync"

// memo is a map for the hot path whose memory is bounded without
// bookkeeping: keys longer than memoMaxBytes are not kept, and the whole
// map is dropped when it is full. jobMemo and answerMemo are memos.
type memo[V any] struct {
	mu sync.RWMutex
	m  map[string]V
}

const (
	memoEntries  = 4096
	memoMaxBytes = 16 << 10
)

func (mm *memo[V]) get(k string) (V, bool) {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	v, ok := mm.m[k]
	return v, ok
}

func (mm *memo[V]) put(k string, v V) {
	if len(k) > memoMaxBytes {
		return
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.m == nil || len(mm.m) >= memoEntries {
		mm.m = make(map[string]V, 64)
	}
	mm.m[k] = v
}

func (mm *memo[V]) len() int {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return len(mm.m)
}
