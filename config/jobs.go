package config

import (
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// Jobs configures running conversion jobs and keeping their outputs.
type Jobs struct {
	// Workers is the number of jobs this instance runs at once; unset
	// means one per CPU, 0 none (an edge on a shared queue: it submits
	// jobs and waits for the workers to run them).
	Workers *int `env:"WORKERS"`
	// QueueSize is how many jobs may wait besides the running ones (on a
	// shared queue: how many may be queued or running in all); a full
	// queue answers 429.
	QueueSize int `env:"QUEUE_SIZE" envDefault:"64"`
	// Lease is how long a job stays with a worker that stopped renewing
	// its lease (it died) before another worker takes it over and runs it
	// again; MaxAttempts bounds how often a job is begun.
	Lease       time.Duration `env:"LEASE" envDefault:"30s"`
	MaxAttempts int           `env:"MAX_ATTEMPTS" envDefault:"3"`
	TaskTimeout time.Duration `env:"TASK_TIMEOUT" envDefault:"5m"`
	JobTimeout  time.Duration `env:"JOB_TIMEOUT" envDefault:"15m"`
	// WorkDir holds running jobs' scratch files; empty means the system
	// temporary directory.
	WorkDir string `env:"WORK_DIR"`
	// OutputURL is where exported files are kept: file:///dir, or
	// s3://bucket/prefix, where every instance serves every output. Empty
	// means OutputDir.
	OutputURL string `env:"OUTPUT_URL"`
	// OutputDir is the directory of file outputs (the older spelling of a
	// file:// OutputURL); empty means <DATA_DIR>/outputs.
	OutputDir string `env:"OUTPUT_DIR"`
	// OutputRedirect says where output links lead: "gateway" (the
	// gateway's own signed URL, served from wherever outputs are kept) or
	// "presigned" (a presigned URL of the S3 server itself).
	OutputRedirect string `env:"OUTPUT_REDIRECT" envDefault:"gateway"`
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
	if j.Workers != nil && (*j.Workers < 0 || *j.Workers > 1024) {
		bad("JOBS_WORKERS", "must be between 0 (run no jobs here) and 1024")
	}
	if j.Lease < time.Second || j.Lease > time.Hour {
		bad("JOBS_LEASE", "must be between 1s and 1h")
	}
	if j.MaxAttempts < 1 || j.MaxAttempts > 100 {
		bad("JOBS_MAX_ATTEMPTS", "must be between 1 and 100")
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
	j.validateOutputs(bad)
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

// WorkerCount is Workers, unset resolved to the number of CPUs.
func (j Jobs) WorkerCount() int {
	if j.Workers == nil {
		return runtime.NumCPU()
	}
	return *j.Workers
}

// OutputPath is the directory of file outputs, defaulting under dataDir;
// empty when outputs are kept in S3.
func (j Jobs) OutputPath(dataDir string) string {
	if bucket, _, ok := j.OutputS3(); ok && bucket != "" {
		return ""
	}
	if u, err := url.Parse(j.OutputURL); err == nil && u.Scheme == "file" {
		return filepath.Clean(u.Path)
	}
	if j.OutputDir != "" {
		return j.OutputDir
	}
	return filepath.Join(dataDir, "outputs")
}

// OutputS3 is the bucket and key prefix of an s3:// OutputURL.
func (j Jobs) OutputS3() (bucket, prefix string, ok bool) {
	rest, ok := strings.CutPrefix(j.OutputURL, "s3://")
	if !ok {
		return "", "", false
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/"), true
}

func (j Jobs) validateOutputs(bad func(name, format string, args ...any)) {
	switch j.OutputRedirect {
	case "gateway":
	case "presigned":
		if _, _, ok := j.OutputS3(); !ok {
			bad("JOBS_OUTPUT_REDIRECT", "presigned links need outputs in S3 (GATEWAY_JOBS_OUTPUT_URL=s3://bucket/prefix)")
		}
	default:
		bad("JOBS_OUTPUT_REDIRECT", "want gateway or presigned, got %q", j.OutputRedirect)
	}
	if j.OutputURL == "" {
		return
	}
	if j.OutputDir != "" {
		bad("JOBS_OUTPUT_URL", "set GATEWAY_JOBS_OUTPUT_URL or its older spelling GATEWAY_JOBS_OUTPUT_DIR, not both")
	}
	u, err := url.Parse(j.OutputURL)
	switch {
	case err != nil:
		bad("JOBS_OUTPUT_URL", "not a URL: want file:///directory or s3://bucket/prefix")
	case u.Scheme == "file":
		if u.Host != "" || !filepath.IsAbs(u.Path) || u.RawQuery != "" {
			bad("JOBS_OUTPUT_URL", "a file URL names an absolute directory, as file:///var/lib/gateway/outputs")
		}
	case u.Scheme == "s3":
		bucket, prefix, _ := j.OutputS3()
		if !s3Bucket.MatchString(bucket) || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			strings.Contains(prefix, "//") || strings.Contains("/"+prefix+"/", "/../") || strings.Contains("/"+prefix+"/", "/./") {
			bad("JOBS_OUTPUT_URL", "want s3://bucket/prefix with an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens) and a plain prefix")
		}
	default:
		bad("JOBS_OUTPUT_URL", "the scheme must be file or s3, as file:///directory or s3://bucket/prefix")
	}
}

// s3Bucket is S3's rule for bucket names.
var s3Bucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
