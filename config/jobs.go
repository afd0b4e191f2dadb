package config

import (
	"path/filepath"
	"runtime"
	"time"
)

// Jobs configures running conversion jobs and keeping their outputs.
type Jobs struct {
	// Workers is the number of jobs run at once; 0 means one per CPU.
	Workers int `env:"WORKERS"`
	// QueueSize is how many jobs may wait; a full queue answers 429.
	QueueSize   int           `env:"QUEUE_SIZE" envDefault:"64"`
	TaskTimeout time.Duration `env:"TASK_TIMEOUT" envDefault:"5m"`
	JobTimeout  time.Duration `env:"JOB_TIMEOUT" envDefault:"15m"`
	// WorkDir holds running jobs' scratch files; empty means the system
	// temporary directory.
	WorkDir string `env:"WORK_DIR"`
	// OutputDir keeps exported files; empty means <DATA_DIR>/outputs.
	// Instances behind one load balancer should share it.
	OutputDir string `env:"OUTPUT_DIR"`
	// OutputTTL is how long exported files and their URLs live.
	OutputTTL time.Duration `env:"OUTPUT_TTL" envDefault:"24h"`
	// OutputSecret signs output URLs. Empty means one generated once and
	// shared through Redis, or kept in the data directory.
	OutputSecret string `env:"OUTPUT_SECRET"`
}

func (j Jobs) validate(bad func(name, format string, args ...any)) {
	if j.Workers < 0 || j.Workers > 1024 {
		bad("JOBS_WORKERS", "must be between 0 (one per CPU) and 1024")
	}
	if j.QueueSize < 1 || j.QueueSize > 1_000_000 {
		bad("JOBS_QUEUE_SIZE", "must be between 1 and 1000000")
	}
	if j.TaskTimeout <= 0 {
		bad("JOBS_TASK_TIMEOUT", "must be a positive duration such as 5m")
	}
	if j.JobTimeout <= 0 {
		bad("JOBS_JOB_TIMEOUT", "must be a positive duration such as 15m")
	}
	if j.OutputTTL < time.Minute {
		bad("JOBS_OUTPUT_TTL", "must be at least 1m")
	}
	if j.OutputSecret != "" && len(j.OutputSecret) < 16 {
		bad("JOBS_OUTPUT_SECRET", "must be at least 16 characters")
	}
}

// WorkerCount is Workers with 0 resolved to the number of CPUs.
func (j Jobs) WorkerCount() int {
	if j.Workers == 0 {
		return runtime.NumCPU()
	}
	return j.Workers
}

// OutputPath is the output directory, defaulting under dataDir.
func (j Jobs) OutputPath(dataDir string) string {
	if j.OutputDir != "" {
		return j.OutputDir
	}
	return filepath.Join(dataDir, "outputs")
}
