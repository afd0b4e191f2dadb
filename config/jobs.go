package config

import (
	"path/filepath"
	"runtime"
	"strings"
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
	// OutputSecret signs output URLs. Empty means secrets generated and
	// shared through Redis, or one kept in the data directory.
	OutputSecret string `env:"OUTPUT_SECRET"`
	// OutputSecretPrevious are earlier output secrets that still verify
	// (comma-separated; spaces around each are ignored), for rotating
	// OutputSecret.
	OutputSecretPrevious []string `env:"OUTPUT_SECRET_PREVIOUS"`
}

// maxPreviousSecrets bounds OutputSecretPrevious: with the current one,
// as many secrets as a keyring holds.
const maxPreviousSecrets = 15

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
	if len(j.OutputSecretPrevious) > 0 && j.OutputSecret == "" {
		bad("JOBS_OUTPUT_SECRET_PREVIOUS", "needs GATEWAY_JOBS_OUTPUT_SECRET: previous secrets verify only next to a configured current one")
	}
	if len(j.OutputSecretPrevious) > maxPreviousSecrets {
		bad("JOBS_OUTPUT_SECRET_PREVIOUS", "at most %d secrets, got %d", maxPreviousSecrets, len(j.OutputSecretPrevious))
	}
	for i, p := range j.PreviousOutputSecrets() {
		// Never the value: this is a secret.
		if len(p) < 16 {
			bad("JOBS_OUTPUT_SECRET_PREVIOUS", "secret %d of %d is shorter than 16 characters (a comma separates secrets, so a secret cannot hold one)", i+1, len(j.OutputSecretPrevious))
		}
	}
}

// PreviousOutputSecrets is OutputSecretPrevious without surrounding spaces.
func (j Jobs) PreviousOutputSecrets() []string {
	out := make([]string, 0, len(j.OutputSecretPrevious))
	for _, p := range j.OutputSecretPrevious {
		out = append(out, strings.TrimSpace(p))
	}
	return out
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
