package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// run executes j's tasks in dependency order, one at a time: the worker
// limit bounds CPU and memory per job, and a job's tasks mostly wait on
// each other anyway. The tasks left when runCtx ends fail with CANCELLED.
func (s *Service) run(runCtx context.Context, j *Job) {
	now := s.deps.Now
	j.start(now())
	ctx, cancel := context.WithTimeout(runCtx, s.cfg.JobTimeout)
	defer cancel()
	log := s.deps.Log.With("job_id", j.id)

	workDir, err := s.makeWorkDir(j.id)
	if err != nil {
		log.Error("create job work directory", "err", err)
	}

	stages, terr := jobspec.TopoOrder(j.spec)
	if terr != nil { // Submit validated; only a hand-built spec gets here
		stages = [][]*jobspec.Task{j.spec.Tasks}
	}
	files := map[string][]engine.File{}
	failed := map[string]bool{}
	for i, t := range flatten(stages) {
		if in, bad := failedInput(t, failed); bad {
			failed[t.Name] = true
			j.failTask(t.Name, now(), CodeInputTaskFailed, fmt.Sprintf("input task %q failed", in))
			s.count(t.Operation, "input_failed")
			continue
		}
		var te *taskError
		switch {
		case err != nil:
			te = failf(CodeInternal, "the gateway could not create a work directory", err)
		case terr != nil:
			te = failf(CodeInvalidInput, terr.Error(), nil)
		case runCtx.Err() != nil:
			te = failf(CodeCancelled, "the gateway shut down before the task ran", nil)
		case ctx.Err() != nil:
			te = failf(CodeTimeout, fmt.Sprintf("the job took longer than %s", s.cfg.JobTimeout), nil)
		}
		var out taskOutput
		if te == nil {
			j.startTask(t.Name, now())
			var inputs []engine.File
			for _, in := range t.Input {
				inputs = append(inputs, files[in]...)
			}
			out, te = s.runTask(runCtx, ctx, j, t, inputs, filepath.Join(workDir, strconv.Itoa(i)))
		}
		if te = diskFull(te); te != nil {
			failed[t.Name] = true
			j.failTask(t.Name, now(), te.code, te.msg)
			s.count(t.Operation, "error")
			level := s.logLevel(te.code)
			log.Log(ctx, level, "task failed", "task", t.Name, "operation", t.Operation, "code", te.code, "err", te)
			continue
		}
		files[t.Name] = out.files
		j.finishTask(t.Name, now(), out.result, out.engine, out.version)
		s.count(t.Operation, "finished")
	}
	// The work directory goes before Done is closed, so whoever waits for
	// the job never sees its scratch files.
	if workDir != "" {
		if err := os.RemoveAll(workDir); err != nil {
			log.Warn("remove job work directory", "err", err)
		}
	}
	j.finish(now())
}

func (s *Service) logLevel(code string) slog.Level {
	if code == CodeInternal || code == CodeConversionFailed || code == CodeInsufficientStorage {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// taskOutput is what a successful task leaves: its files for the tasks
// that read it, the result shown in its status, and the engine that ran.
type taskOutput struct {
	files           []engine.File
	result          []File
	engine, version string
}

// runTask runs one task under the task timeout, in its own directory.
// jobCtx is runCtx under the job's timeout.
func (s *Service) runTask(runCtx, jobCtx context.Context, j *Job, t *jobspec.Task, inputs []engine.File, dir string) (out taskOutput, te *taskError) {
	timeout := s.cfg.TaskTimeout
	if secs, ok := t.Int("timeout"); ok && secs > 0 && time.Duration(secs)*time.Second < timeout {
		timeout = time.Duration(secs) * time.Second
	}
	ctx, cancel := context.WithTimeout(jobCtx, timeout)
	defer cancel()
	defer func() {
		// A panicking engine fails its task, not the gateway.
		if r := recover(); r != nil {
			te = failf(CodeInternal, "the gateway failed to run the task", fmt.Errorf("panic: %v", r))
		}
	}()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return out, failf(CodeInternal, "the gateway could not create a work directory", err)
	}
	out, err := s.operation(ctx, j, t, inputs, dir)
	if err == nil {
		return out, nil
	}
	switch {
	case runCtx.Err() != nil:
		return out, failf(CodeCancelled, "the gateway shut down while the task ran", err)
	case jobCtx.Err() != nil && errors.Is(jobCtx.Err(), context.DeadlineExceeded):
		return out, failf(CodeTimeout, fmt.Sprintf("the job took longer than %s", s.cfg.JobTimeout), err)
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return out, failf(CodeTimeout, fmt.Sprintf("the task took longer than %s", timeout), err)
	}
	return out, asTaskError(err)
}

func (s *Service) makeWorkDir(id string) (string, error) {
	if err := os.MkdirAll(s.cfg.WorkDir, 0o700); err != nil {
		return "", err
	}
	return os.MkdirTemp(s.cfg.WorkDir, "job-"+id+"-")
}

func (s *Service) count(op, outcome string) {
	if s.deps.Metrics != nil {
		s.deps.Metrics.Jobs.WithLabelValues(op, outcome).Inc()
	}
}

func flatten(stages [][]*jobspec.Task) []*jobspec.Task {
	var all []*jobspec.Task
	for _, st := range stages {
		all = append(all, st...)
	}
	return all
}

func failedInput(t *jobspec.Task, failed map[string]bool) (string, bool) {
	for _, in := range t.Input {
		if failed[in] {
			return in, true
		}
	}
	return "", false
}
