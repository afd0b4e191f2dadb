package signedurl

import (
	"sync"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

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
// result (see bench/README.md). Only jobs whose signature held reach it;
// large ones are not kept, and the whole memo is dropped when full, which
// bounds its memory without bookkeeping on the hot path.
type jobMemo struct {
	mu sync.RWMutex
	m  map[string]*checkedJob
}

const (
	memoEntries  = 4096
	memoMaxBytes = 16 << 10
)

func (jm *jobMemo) get(rawJob string) *checkedJob {
	jm.mu.RLock()
	defer jm.mu.RUnlock()
	return jm.m[rawJob]
}

func (jm *jobMemo) put(rawJob string, c *checkedJob) {
	if len(rawJob) > memoMaxBytes {
		return
	}
	jm.mu.Lock()
	defer jm.mu.Unlock()
	if jm.m == nil || len(jm.m) >= memoEntries {
		jm.m = make(map[string]*checkedJob, 64)
	}
	jm.m[rawJob] = c
}
