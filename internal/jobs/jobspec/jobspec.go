// Package jobspec owns the job payload of a signed conversion URL (what
// job= decodes to): reading it from any SDK's JSON spelling, validating the
// task graph, ordering it for a runner, and hashing it for the result
// cache. It is pure: no I/O, and it runs nothing.
package jobspec

import (
	"encoding/json"
	"math"
	"strconv"
)

// Limits on a job. Decode enforces all three; callers should still cap
// what they read before calling it, since Decode needs the bytes in memory.
const (
	MaxPayload  = 1 << 20 // bytes of job JSON
	MaxTasks    = 64
	MaxNameSize = 128 // bytes of a task name
)

// Job is a decoded job.
type Job struct {
	// Tasks are in the order the JSON object lists them: the API reports
	// tasks in that order, and a runner breaks ties with it.
	Tasks      []*Task
	Tag        string
	WebhookURL string
	// Extra holds any other top-level key, so hashing sees the whole job.
	Extra map[string]json.RawMessage
}

// Task is one entry of the job's tasks object.
type Task struct {
	Name      string
	Operation string
	// Input names the tasks whose files this one reads; the JSON may give
	// a string or a list.
	Input []string
	// Fields holds every other key as written. Null values are dropped, as
	// the API treats them as absent (PHP sends them).
	Fields map[string]json.RawMessage
}

// Task returns the task called name, or nil.
func (j *Job) Task(name string) *Task {
	for _, t := range j.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Has reports whether the task sets field key.
func (t *Task) Has(key string) bool {
	_, ok := t.Fields[key]
	return ok
}

// Raw returns field key as written, or nil.
func (t *Task) Raw(key string) json.RawMessage { return t.Fields[key] }

// The typed accessors report false when the field is absent or of another
// JSON type; Has tells the two apart when an engine wants to say which.

// String returns a string field.
func (t *Task) String(key string) (string, bool) {
	var s string
	if raw, ok := t.Fields[key]; !ok || len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// Bool returns a true/false field.
func (t *Task) Bool(key string) (bool, bool) {
	switch string(t.Fields[key]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Int returns a number field that holds an integer; 800.0 counts, since
// some SDK languages only have floats.
func (t *Task) Int(key string) (int64, bool) {
	raw := string(t.Fields[key])
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return n, true
	}
	f, ok := t.Float(key)
	if !ok || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// Float returns a number field.
func (t *Task) Float(key string) (float64, bool) {
	raw := t.Fields[key]
	if len(raw) == 0 || !(raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9') {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}
