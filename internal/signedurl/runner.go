package signedurl

import (
	"context"
	"encoding/json"

	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// Runner starts jobs: the job service, behind the few methods this package
// needs, so the handler can be tested with a fake.
type Runner interface {
	// Submit queues job. A full queue is an *server.Error (429).
	Submit(job *jobspec.Job) (Job, error)
	// Lookup returns the status JSON of the job id, run on any instance;
	// false when it is not known (any more).
	Lookup(ctx context.Context, id string) (json.RawMessage, bool, error)
}

// Job is a submitted job.
type Job interface {
	ID() string
	Done() <-chan struct{}
	Status() Status
}

// Status is a job's status. It marshals to the API's job JSON.
type Status interface {
	// RedirectURL is the first file of the first finished export/url task.
	RedirectURL() (string, bool)
	Failed() bool
	// FailureHTTPStatus is the status a failed job is answered with.
	FailureHTTPStatus() int
}

// entryOf is job's answer now.
func entryOf(job Job) cache.Entry {
	// Done first: a status read after Done is closed is the final one.
	done := isClosed(job.Done())
	st := job.Status()
	body, err := json.Marshal(st)
	if err != nil {
		body = []byte(`{"id":` + quote(job.ID()) + `}`)
	}
	e := cache.Entry{JobID: job.ID(), Status: body, Final: done}
	if !done {
		return e
	}
	if st.Failed() {
		e.HTTPStatus = st.FailureHTTPStatus()
	} else if loc, ok := st.RedirectURL(); ok {
		e.Location = loc
	}
	return e
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// cacheJob shows a Job to the result cache.
type cacheJob struct{ Job }

func (j cacheJob) Entry() cache.Entry { return entryOf(j.Job) }
