package config

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestJobsDefaults(t *testing.T) {
	c, err := LoadFrom(map[string]string{"GATEWAY_DATA_DIR": "/srv/gw"})
	if err != nil {
		t.Fatal(err)
	}
	j := c.Jobs
	if j.WorkerCount() != runtime.NumCPU() || j.QueueSize != 64 || j.Lease != 30*time.Second || j.MaxAttempts != 3 {
		t.Errorf("workers %d queue %d lease %v attempts %d", j.WorkerCount(), j.QueueSize, j.Lease, j.MaxAttempts)
	}
	if j.TaskTimeout != 5*time.Minute || j.JobTimeout != 15*time.Minute || j.OutputTTL != 24*time.Hour {
		t.Errorf("timeouts %v %v ttl %v", j.TaskTimeout, j.JobTimeout, j.OutputTTL)
	}
	if got := j.OutputPath(c.DataDir); got != "/srv/gw/outputs" {
		t.Errorf("output dir %q", got)
	}
	if j.OutputSecret != "" || j.OutputSecretPrevious != nil {
		t.Errorf("a secret by default")
	}
}

func TestJobsSettings(t *testing.T) {
	c, err := LoadFrom(map[string]string{
		"GATEWAY_JOBS_WORKERS":       "3",
		"GATEWAY_JOBS_QUEUE_SIZE":    "7",
		"GATEWAY_JOBS_TASK_TIMEOUT":  "30s",
		"GATEWAY_JOBS_JOB_TIMEOUT":   "2m",
		"GATEWAY_JOBS_WORK_DIR":      "/tmp/w",
		"GATEWAY_JOBS_OUTPUT_DIR":    "/shared/out",
		"GATEWAY_JOBS_OUTPUT_TTL":    "1h",
		"GATEWAY_JOBS_OUTPUT_SECRET": "0123456789abcdef-shared",
		"GATEWAY_JOBS_LEASE":         "10s",
		"GATEWAY_JOBS_MAX_ATTEMPTS":  "5",
	})
	if err != nil {
		t.Fatal(err)
	}
	three := 3
	want := Jobs{Workers: &three, QueueSize: 7, Lease: 10 * time.Second, MaxAttempts: 5, TaskTimeout: 30 * time.Second, JobTimeout: 2 * time.Minute,
		WorkDir: "/tmp/w", OutputDir: "/shared/out", OutputRedirect: "gateway", OutputTTL: time.Hour, OutputSecret: "0123456789abcdef-shared"}
	if !reflect.DeepEqual(c.Jobs, want) {
		t.Errorf("got %+v, want %+v", c.Jobs, want)
	}
	if c.Jobs.OutputPath("/data") != "/shared/out" || c.Jobs.WorkerCount() != 3 {
		t.Errorf("resolved %q %d", c.Jobs.OutputPath("/data"), c.Jobs.WorkerCount())
	}
}

func TestJobsInvalid(t *testing.T) {
	tests := []struct{ name, value string }{
		{"GATEWAY_JOBS_WORKERS", "-1"},
		{"GATEWAY_JOBS_WORKERS", "0"}, // without Redis, nobody would run the jobs
		{"GATEWAY_JOBS_LEASE", "100ms"},
		{"GATEWAY_JOBS_MAX_ATTEMPTS", "0"},
		{"GATEWAY_JOBS_QUEUE_SIZE", "0"},
		{"GATEWAY_JOBS_TASK_TIMEOUT", "0s"},
		{"GATEWAY_JOBS_JOB_TIMEOUT", "-5m"},
		{"GATEWAY_JOBS_OUTPUT_TTL", "10s"},
		{"GATEWAY_JOBS_OUTPUT_SECRET", "short"},
	}
	for _, tt := range tests {
		_, err := LoadFrom(map[string]string{tt.name: tt.value})
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%s: error %v does not name the variable", tt.name, tt.value, err)
		}
		if err != nil && tt.name == "GATEWAY_JOBS_OUTPUT_SECRET" && strings.Contains(err.Error(), tt.value) {
			t.Errorf("the error repeats the secret: %v", err)
		}
	}
}

func TestJobsNoWorkersOnSharedQueue(t *testing.T) {
	c, err := LoadFrom(map[string]string{"GATEWAY_JOBS_WORKERS": "0", "GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0", "GATEWAY_ADMIN_TOKEN": "0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Jobs.WorkerCount() != 0 {
		t.Errorf("workers %d, want 0", c.Jobs.WorkerCount())
	}
}

func TestJobsPreviousOutputSecrets(t *testing.T) {
	c, err := LoadFrom(map[string]string{
		"GATEWAY_JOBS_OUTPUT_SECRET":          "0123456789abcdef-current",
		"GATEWAY_JOBS_OUTPUT_SECRET_PREVIOUS": "0123456789abcdef-older, 0123456789abcdef-oldest",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0123456789abcdef-older", "0123456789abcdef-oldest"}
	if got := c.Jobs.PreviousOutputSecrets(); !reflect.DeepEqual(got, want) {
		t.Errorf("previous secrets %q, want %q", got, want)
	}

	const name = "GATEWAY_JOBS_OUTPUT_SECRET_PREVIOUS"
	tests := []struct {
		what, current, previous, message string
	}{
		{"a short one", "0123456789abcdef-current", "0123456789abcdef-older,tooshort-secret", "secret 2 of 2 is shorter than 16 characters"},
		{"a trailing comma", "0123456789abcdef-current", "0123456789abcdef-older,", "secret 2 of 2 is shorter"},
		{"no current secret", "", "0123456789abcdef-older", "needs GATEWAY_JOBS_OUTPUT_SECRET"},
		{"too many", "0123456789abcdef-current", strings.Repeat("0123456789abcdef-older,", 15) + "0123456789abcdef-older", "at most 15"},
	}
	for _, tt := range tests {
		env := map[string]string{name: tt.previous}
		if tt.current != "" {
			env["GATEWAY_JOBS_OUTPUT_SECRET"] = tt.current
		}
		_, err := LoadFrom(env)
		if err == nil || !strings.Contains(err.Error(), name+": ") || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: error %v, want %s: ...%s", tt.what, err, name, tt.message)
			continue
		}
		if strings.Contains(err.Error(), "tooshort-secret") || strings.Contains(err.Error(), "abcdef-older") {
			t.Errorf("%s: the error repeats a secret: %v", tt.what, err)
		}
	}
}

func TestOutputURL(t *testing.T) {
	for _, tc := range []struct {
		env    map[string]string
		path   string
		bucket string
		bad    string
	}{
		{env: map[string]string{}, path: "/data/outputs"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "file:///srv/outputs/"}, path: "/srv/outputs"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "s3://my-outputs/jobs/"}, bucket: "my-outputs"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "s3://my-outputs", "GATEWAY_JOBS_OUTPUT_REDIRECT": "presigned"}, bucket: "my-outputs"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_REDIRECT": "presigned"}, bad: "JOBS_OUTPUT_REDIRECT"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_REDIRECT": "cdn"}, bad: "JOBS_OUTPUT_REDIRECT"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "s3://UPPER/x"}, bad: "JOBS_OUTPUT_URL"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "s3://b-ok/../x"}, bad: "JOBS_OUTPUT_URL"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "file://relative/dir"}, bad: "JOBS_OUTPUT_URL"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "https://example.com/x"}, bad: "JOBS_OUTPUT_URL"},
		{env: map[string]string{"GATEWAY_JOBS_OUTPUT_URL": "s3://b-ok/x", "GATEWAY_JOBS_OUTPUT_DIR": "/x"}, bad: "JOBS_OUTPUT_URL"},
		{env: map[string]string{"GATEWAY_S3_ACCESS_KEY_ID": "AKIA"}, bad: "S3_ACCESS_KEY_ID"},
	} {
		c, err := LoadFrom(tc.env)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), "GATEWAY_"+tc.bad+":") {
				t.Errorf("%v: %v, want an error naming GATEWAY_%s", tc.env, err, tc.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.env, err)
			continue
		}
		bucket, _, _ := c.Jobs.OutputS3()
		if got := c.Jobs.OutputPath("/data"); got != tc.path || bucket != tc.bucket {
			t.Errorf("%v: path %q bucket %q, want %q %q", tc.env, got, bucket, tc.path, tc.bucket)
		}
	}
}
