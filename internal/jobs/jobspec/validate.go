package jobspec

import "slices"

// Validate checks what Decode cannot: names, operations, the fields each
// operation needs, and that inputs form a graph a runner can finish. It
// accepts operations the gateway recognises but does not run; use
// Supported to decide whether to run a task.
func Validate(job *Job) error {
	if job == nil || len(job.Tasks) == 0 {
		return errorf("job has no tasks")
	}
	if len(job.Tasks) > MaxTasks {
		return errorf("job has %d tasks, at most %d are allowed", len(job.Tasks), MaxTasks)
	}
	hasExport := false
	for _, t := range job.Tasks {
		if err := checkName(t.Name); err != nil {
			return err
		}
		if !Known(t.Operation) {
			return taskErrorf(t.Name, "unknown operation %q", t.Operation)
		}
		hasExport = hasExport || t.Operation == OpExportURL
		if err := checkFields(t); err != nil {
			return err
		}
	}
	if _, err := TopoOrder(job); err != nil {
		return err
	}
	if !hasExport {
		// Without export/url there is no file to redirect the user to.
		return errorf("job has no %s task", OpExportURL)
	}
	return nil
}

func checkName(name string) error {
	if name == "" || len(name) > MaxNameSize {
		return taskErrorf(name, "task names must be 1 to %d characters", MaxNameSize)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return taskErrorf(name, "task names may contain only A-Z, a-z, 0-9, _ and -")
		}
	}
	return nil
}

// TopoOrder groups the tasks into stages: every task's inputs are in
// earlier stages, so the tasks of one stage can run concurrently. Within a
// stage tasks keep the job's order. It refuses inputs naming no task, a
// task naming itself, and cycles.
func TopoOrder(job *Job) ([][]*Task, error) {
	index := make(map[string]int, len(job.Tasks))
	for i, t := range job.Tasks {
		if _, dup := index[t.Name]; dup {
			return nil, taskErrorf(t.Name, "task name used more than once")
		}
		index[t.Name] = i
	}
	waiting := make([]int, len(job.Tasks))   // inputs not yet scheduled, per task
	readers := make([][]int, len(job.Tasks)) // tasks reading each task
	for i, t := range job.Tasks {
		for _, in := range t.Input {
			j, ok := index[in]
			switch {
			case in == t.Name:
				return nil, taskErrorf(t.Name, "input names the task itself")
			case !ok:
				return nil, taskErrorf(t.Name, "input %q names no task of this job", in)
			}
			waiting[i]++
			readers[j] = append(readers[j], i)
		}
	}
	var stages [][]*Task
	var ready []int
	for i := range job.Tasks {
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	done := 0
	for len(ready) > 0 {
		stage := make([]*Task, len(ready))
		var next []int
		for k, i := range ready {
			stage[k] = job.Tasks[i]
			for _, r := range readers[i] {
				if waiting[r]--; waiting[r] == 0 {
					next = append(next, r)
				}
			}
		}
		slices.Sort(next)
		stages = append(stages, stage)
		done += len(ready)
		ready = next
	}
	if done < len(job.Tasks) {
		for i, t := range job.Tasks {
			if waiting[i] > 0 {
				return nil, taskErrorf(t.Name, "inputs form a cycle (this task is in it or reads from it)")
			}
		}
	}
	return stages, nil
}
