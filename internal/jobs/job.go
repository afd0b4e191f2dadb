package jobs

import (
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// Job is a job as the worker running it holds it. Its state changes under
// mu; Status copies it.
type Job struct {
	id   string
	spec *jobspec.Job
	done chan struct{}
	// changed, if set, is called after each change of the status, outside
	// the lock (the worker publishes the status from it).
	changed func()

	mu    sync.Mutex
	st    Status
	index map[string]int // task name -> position in st.Tasks
}

// ID is the job's id, as in its status.
func (j *Job) ID() string { return j.id }

// Done is closed when the job has finished or failed.
func (j *Job) Done() <-chan struct{} { return j.done }

// Status returns a snapshot that the job's progress does not change.
func (j *Job) Status() Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.st
	s.StartedAt, s.EndedAt = copyTime(s.StartedAt), copyTime(s.EndedAt)
	s.Tasks = make([]TaskStatus, len(j.st.Tasks))
	for i, t := range j.st.Tasks {
		t.DependsOnTaskIDs = slices.Clone(t.DependsOnTaskIDs)
		t.StartedAt, t.EndedAt = copyTime(t.StartedAt), copyTime(t.EndedAt)
		if t.Result != nil {
			t.Result = &Result{Files: slices.Clone(t.Result.Files)}
		}
		s.Tasks[i] = t
	}
	return s
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

func newJob(spec *jobspec.Job, now time.Time) *Job {
	now = now.UTC()
	j := &Job{id: newUUID(), spec: spec, done: make(chan struct{}), index: map[string]int{}}
	j.st = Status{ID: j.id, Tag: spec.Tag, Status: StatusWaiting, CreatedAt: now, Tasks: make([]TaskStatus, len(spec.Tasks))}
	ids := make(map[string]string, len(spec.Tasks))
	for i, t := range spec.Tasks {
		ids[t.Name] = newUUID()
		j.index[t.Name] = i
	}
	for i, t := range spec.Tasks {
		deps := make([]string, 0, len(t.Input))
		for _, in := range t.Input {
			deps = append(deps, ids[in])
		}
		j.st.Tasks[i] = TaskStatus{
			ID: ids[t.Name], Name: t.Name, JobID: j.id, Operation: t.Operation,
			Status: StatusWaiting, DependsOnTaskIDs: deps, CreatedAt: now,
		}
	}
	return j
}

// restoreJob is the job of spec whose status, as Submit made it, is st: a
// worker runs it with the job and task ids the submitter showed.
func restoreJob(spec *jobspec.Job, st Status) *Job {
	j := &Job{id: st.ID, spec: spec, done: make(chan struct{}), st: st, index: make(map[string]int, len(st.Tasks))}
	j.st.Tasks = slices.Clone(st.Tasks)
	for i, t := range j.st.Tasks {
		j.index[t.Name] = i
	}
	return j
}

// task runs fn on the named task's status under the lock.
func (j *Job) task(name string, fn func(t *TaskStatus)) {
	j.mu.Lock()
	i, ok := j.index[name]
	if ok {
		fn(&j.st.Tasks[i])
	}
	j.mu.Unlock()
	j.notify()
}

func (j *Job) notify() {
	if j.changed != nil {
		j.changed()
	}
}

func (j *Job) start(now time.Time) {
	j.mu.Lock()
	now = now.UTC()
	j.st.Status = StatusProcessing
	j.st.StartedAt = &now
	j.mu.Unlock()
	j.notify()
}

func (j *Job) startTask(name string, now time.Time) {
	now = now.UTC()
	j.task(name, func(t *TaskStatus) {
		t.Status = StatusProcessing
		t.StartedAt = &now
	})
}

func (j *Job) progress(name string, percent int) {
	j.task(name, func(t *TaskStatus) { t.Percent = min(max(percent, 0), 100) })
}

func (j *Job) finishTask(name string, now time.Time, files []File, engine, version string) {
	now = now.UTC()
	j.task(name, func(t *TaskStatus) {
		t.Status = StatusFinished
		t.Percent = 100
		t.EndedAt = &now
		if t.StartedAt == nil {
			t.StartedAt = &now
		}
		if files == nil {
			files = []File{}
		}
		t.Result = &Result{Files: files}
		if engine != "" {
			t.Engine, t.EngineVersion = &engine, &version
		}
	})
}

func (j *Job) failTask(name string, now time.Time, code, msg string) {
	now = now.UTC()
	j.task(name, func(t *TaskStatus) {
		t.Status = StatusError
		t.Code, t.Message = &code, &msg
		t.EndedAt = &now
	})
}

// abort fails every task that has not ended and ends the job, unless it
// has ended already.
func (j *Job) abort(now time.Time, code, msg string) {
	j.mu.Lock()
	ended := j.st.EndedAt != nil
	if !ended {
		for i := range j.st.Tasks {
			t := &j.st.Tasks[i]
			if t.Status == StatusWaiting || t.Status == StatusProcessing {
				c, m, end := code, msg, now.UTC()
				t.Status, t.Code, t.Message, t.EndedAt = StatusError, &c, &m, &end
			}
		}
	}
	j.mu.Unlock()
	if !ended {
		j.finish(now)
	}
}

// finish sets the job's final status and closes Done.
func (j *Job) finish(now time.Time) {
	j.mu.Lock()
	now = now.UTC()
	j.st.Status = StatusFinished
	for _, t := range j.st.Tasks {
		if t.Status != StatusFinished {
			j.st.Status = StatusError
		}
	}
	if j.st.StartedAt == nil {
		j.st.StartedAt = &now
	}
	j.st.EndedAt = &now
	j.mu.Unlock()
	close(j.done)
	j.notify()
}

func (j *Job) endedAt() (time.Time, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st.EndedAt == nil {
		return time.Time{}, false
	}
	return *j.st.EndedAt, true
}

// newUUID returns a random (version 4) UUID, the id format of the API.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
