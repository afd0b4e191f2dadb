package signedurl

import (
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/server/fastlane"
)

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

func (mm *memo[V]) put(k string, v V) { mm.putBounded(k, v, memoEntries) }

// putBounded is put with limit entries filling the memo.
func (mm *memo[V]) putBounded(k string, v V, limit int) {
	if len(k) > memoMaxBytes {
		return
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.m == nil || len(mm.m) >= limit {
		mm.m = make(map[string]V, 64)
	}
	mm.m[k] = v
}

func (mm *memo[V]) len() int {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return len(mm.m)
}

// checkedJob is a job that decoded and validated, with its cache hash.
type checkedJob struct {
	raw  []byte // the decoded JSON: each run decodes its own copy
	hash string
}

// fresh returns a private copy of the job for a run, which may keep it.
func (c *checkedJob) fresh() (*jobspec.Job, error) { return jobspec.Decode(c.raw) }

// jobMemo remembers checked jobs by their raw `job` parameter. A published
// link is clicked again and again with the same job, and decoding,
// validating and hashing it was most of the cost of answering a cached
// result (see bench/README.md). Only jobs whose signature held reach it.
type jobMemo struct{ m memo[*checkedJob] }

func (jm *jobMemo) get(rawJob string) *checkedJob {
	c, _ := jm.m.get(rawJob)
	return c
}

func (jm *jobMemo) put(rawJob string, c *checkedJob) { jm.m.put(rawJob, c) }

// answerMemo remembers, for a short while, the lane's answers to whole
// request targets. A published link is the same bytes every time it is
// clicked: once those bytes passed the signature check, found their
// checked job and a cached result, the same bytes get the same 302 until
// something changes. Within AnswerMemoTTL the memo answers them without
// parsing the query, checking the signature again or reading the result
// cache, which is most of the work left on the lane, and the whole of it
// when the cache is in Redis.
//
// What can change under an entry:
//   - the bases (a base deleted, its secret or path changed, on any
//     instance): every entry belongs to the generation of the bases it was
//     made under and is not used once they change;
//   - the cached result (it expires, or another instance stores a new one
//     for the same key): an entry lives AnswerMemoTTL, so a result is
//     answered at most that long after it changed.
//
// Like jobMemo it is a memo: bounded by dropping everything when full.
type answerMemo struct{ m memo[memoAnswer] }

// AnswerMemoTTL is how long the lane answers a link from memory before it
// reads the result cache again.
const AnswerMemoTTL = time.Second

type memoAnswer struct {
	gen    uint64 // the bases' generation
	until  int64  // unix nanoseconds
	fields fastlane.Fields
}

// get returns the answer to target made under the bases' generation gen,
// if it is still fresh at now.
func (am *answerMemo) get(target string, gen uint64, now time.Time) (fastlane.Fields, bool) {
	a, ok := am.m.get(target)
	if !ok || a.gen != gen || now.UnixNano() >= a.until {
		return fastlane.Fields{}, false
	}
	return a.fields, true
}

func (am *answerMemo) put(target string, gen uint64, now time.Time, f fastlane.Fields) {
	am.m.put(target, memoAnswer{gen: gen, until: now.Add(AnswerMemoTTL).UnixNano(), fields: f})
}
