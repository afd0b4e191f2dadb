package signedurl

import (
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
// result (see bench/README.md). Only jobs whose signature held reach it.
type jobMemo struct{ m memo[*checkedJob] }

func (jm *jobMemo) get(rawJob string) *checkedJob {
	c, _ := jm.m.get(rawJob)
	return c
}

func (jm *jobMemo) put(rawJob string, c *checkedJob) { jm.m.put(rawJob, c) }
