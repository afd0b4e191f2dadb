package jobs

import (
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/jobstate"
)

// Handle is a submitted job as the instance that submitted it sees it: the
// status the worker running it, on any instance, last wrote.
type Handle struct {
	id   string
	done chan struct{}

	mu sync.Mutex
	st Status
}

func newHandle(st Status) *Handle {
	return &Handle{id: st.ID, done: make(chan struct{}), st: st}
}

// ID is the job's id, as in its status.
func (h *Handle) ID() string { return h.id }

// Done is closed when the job has finished or failed.
func (h *Handle) Done() <-chan struct{} { return h.done }

// Status is the latest status seen; the final one once Done is closed.
// Snapshots are replaced, never changed: the value may be kept.
func (h *Handle) Status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st
}

// update takes st as the job's status, and ends the handle on a final one.
// It reports whether the handle has ended.
func (h *Handle) update(st jobstate.State) bool {
	status, err := decodeStatus(st.Status)
	if err != nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended() {
		return true
	}
	h.st = status
	if st.Final {
		close(h.done)
	}
	return st.Final
}

func (h *Handle) ended() bool {
	select {
	case <-h.done:
		return true
	default:
		return false
	}
}

// abort ends the handle with every task that has not ended failed with
// code, unless it has ended already.
func (h *Handle) abort(now time.Time, code, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ended() {
		return
	}
	j := restoreJob(nil, h.st)
	j.abort(now, code, msg)
	h.st = j.Status()
	close(h.done)
}

// lostAfter is how many reads in a row must find no state before a job
// counts as lost (its state expired, or Redis lost its data).
const lostAfter = 3

// follow feeds h with the job's states, signalled or read every Poll,
// until the job ends or the service closes.
func (s *Service) follow(h *Handle, states <-chan jobstate.State, stop func()) {
	defer func() {
		stop()
		s.mu.Lock()
		delete(s.handles, h)
		s.mu.Unlock()
	}()
	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	missing := 0
	for {
		select {
		case st := <-states:
			if h.update(st) {
				return
			}
		case <-poll.C:
			st, ok, err := s.deps.States.Get(s.ctx, h.id)
			switch {
			case err != nil:
				// Unreadable for now (Redis down): keep waiting.
			case !ok:
				if missing++; missing >= lostAfter {
					s.deps.Log.Warn("a job's state is gone; the job is taken to be lost", "job_id", h.id)
					h.abort(s.deps.Now(), CodeJobLost, "the gateway lost track of the job; retry")
					return
				}
			default:
				missing = 0
				if h.update(st) {
					return
				}
			}
		case <-s.ctx.Done():
			h.abort(s.deps.Now(), CodeCancelled, "the gateway shut down before the job ended")
			return
		}
	}
}
