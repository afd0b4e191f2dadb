package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatalf("LoadFrom(empty): %v", err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || !c.Embedded() {
		t.Errorf("defaults: got addr %q data %q embedded %v", c.Addr, c.DataDir, c.Embedded())
	}
	if c.PublicURL != "http://localhost:8080" {
		t.Errorf("PublicURL: got %q, want http://localhost:8080", c.PublicURL)
	}
	if c.ReadHeaderTimeout != 10*time.Second || c.Fetch.MaxRedirects != 5 {
		t.Errorf("durations: got %v, redirects %d", c.ReadHeaderTimeout, c.Fetch.MaxRedirects)
	}
	if c.AccessLogSample != 1 {
		t.Errorf("AccessLogSample: got %v, want 1 (every line)", c.AccessLogSample)
	}
}

func TestAccessLogSampleIsAFraction(t *testing.T) {
	for _, v := range []string{"0", "0.01", "1"} {
		if _, err := LoadFrom(map[string]string{"GATEWAY_ACCESS_LOG_SAMPLE": v}); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	for _, v := range []string{"-0.1", "1.01", "NaN", "10%", "all"} {
		_, err := LoadFrom(map[string]string{"GATEWAY_ACCESS_LOG_SAMPLE": v})
		if err == nil || !strings.Contains(err.Error(), "GATEWAY_ACCESS_LOG_SAMPLE") {
			t.Errorf("%s: got %v, want an error naming GATEWAY_ACCESS_LOG_SAMPLE", v, err)
		}
	}
}

func TestPublicURLFollowsPortAndLosesTrailingSlash(t *testing.T) {
	c, err := LoadFrom(map[string]string{"GATEWAY_ADDR": "127.0.0.1:9000"})
	if err != nil || c.PublicURL != "http://localhost:9000" {
		t.Fatalf("got %q, %v", c.PublicURL, err)
	}
	c, err = LoadFrom(map[string]string{"GATEWAY_PUBLIC_URL": "https://media.example.com/"})
	if err != nil || c.PublicURL != "https://media.example.com" {
		t.Fatalf("got %q, %v", c.PublicURL, err)
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	env := map[string]string{
		"GATEWAY_ADDR":                 "nonsense",
		"GATEWAY_PUBLIC_URL":           "ftp://x",
		"GATEWAY_REDIS_URL":            "mysql://db",
		"GATEWAY_LOG_LEVEL":            "loud",
		"GATEWAY_LOG_FORMAT":           "xml",
		"GATEWAY_IDLE_TIMEOUT":         "forever",
		"GATEWAY_SHUTDOWN_TIMEOUT":     "-1s",
		"GATEWAY_MAX_HEADER_BYTES":     "12",
		"GATEWAY_FETCH_ALLOW_CIDRS":    "10.0.0.0/8,not-a-cidr",
		"GATEWAY_REDIS_MODE":           "swarm",
		"GATEWAY_MAX_ADMIN_BODY_BYTES": "abc",
		"GATEWAY_ACCESS_LOG_SAMPLE":    "1.5",
	}
	_, err := LoadFrom(env)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("got %v, want *config.Error", err)
	}
	msg := err.Error()
	for _, name := range []string{
		"GATEWAY_ADDR", "GATEWAY_PUBLIC_URL", "GATEWAY_REDIS_URL", "GATEWAY_LOG_LEVEL",
		"GATEWAY_LOG_FORMAT", "GATEWAY_IDLE_TIMEOUT", "GATEWAY_SHUTDOWN_TIMEOUT",
		"GATEWAY_MAX_HEADER_BYTES", "GATEWAY_FETCH_ALLOW_CIDRS", "GATEWAY_REDIS_MODE",
		"GATEWAY_MAX_ADMIN_BODY_BYTES", "GATEWAY_ADMIN_TOKEN", "GATEWAY_ACCESS_LOG_SAMPLE",
	} {
		if !strings.Contains(msg, name) {
			t.Errorf("error does not name %s:\n%s", name, msg)
		}
	}
}

func TestRedisNeedsAnAdminToken(t *testing.T) {
	_, err := LoadFrom(map[string]string{"GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0"})
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_ADMIN_TOKEN") {
		t.Fatalf("got %v, want an error naming GATEWAY_ADMIN_TOKEN", err)
	}
	_, err = LoadFrom(map[string]string{
		"GATEWAY_REDIS_URL":   "redis://127.0.0.1:6379/0",
		"GATEWAY_ADMIN_TOKEN": "0123456789abcdef0123",
	})
	if err != nil {
		t.Fatalf("with a token: %v", err)
	}
}

func TestErrorsNeverEchoTheAdminToken(t *testing.T) {
	_, err := LoadFrom(map[string]string{"GATEWAY_ADMIN_TOKEN": "short-secret"})
	if err == nil || strings.Contains(err.Error(), "short-secret") {
		t.Fatalf("got %v; want an error that does not contain the token", err)
	}
}

func TestParseErrorsNameTheVariable(t *testing.T) {
	_, err := LoadFrom(map[string]string{
		"GATEWAY_FETCH_TIMEOUT":             "soon",
		"GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1": "maybe",
		"GATEWAY_MAX_HEADER_BYTES":          "many",
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"GATEWAY_FETCH_TIMEOUT: want a duration",
		"GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1: want true or false",
		"GATEWAY_MAX_HEADER_BYTES: want a whole number",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestCachedResultsNeverOutliveTheirFiles(t *testing.T) {
	c, err := LoadFrom(map[string]string{"GATEWAY_SIGNED_URL_CACHE_TTL": "48h", "GATEWAY_JOBS_OUTPUT_TTL": "2h"})
	if err != nil || c.SignedURL.CacheTTL != 2*time.Hour {
		t.Fatalf("got cache TTL %v, %v; want the output TTL, 2h", c.SignedURL.CacheTTL, err)
	}
	c, err = LoadFrom(map[string]string{"GATEWAY_SIGNED_URL_CACHE_TTL": "1h"})
	if err != nil || c.SignedURL.CacheTTL != time.Hour {
		t.Fatalf("got cache TTL %v, %v; want 1h", c.SignedURL.CacheTTL, err)
	}
}

func TestRedisClientTimeouts(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := RedisClient{DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MaxRetries: 1}
	if c.RedisClient != want {
		t.Errorf("defaults: %+v, want %+v", c.RedisClient, want)
	}
	_, err = LoadFrom(map[string]string{
		"GATEWAY_REDIS_DIAL_TIMEOUT":  "0s",
		"GATEWAY_REDIS_READ_TIMEOUT":  "2m",
		"GATEWAY_REDIS_WRITE_TIMEOUT": "-1s",
		"GATEWAY_REDIS_MAX_RETRIES":   "11",
	})
	for _, name := range []string{"REDIS_DIAL_TIMEOUT", "REDIS_READ_TIMEOUT", "REDIS_WRITE_TIMEOUT", "REDIS_MAX_RETRIES"} {
		if err == nil || !strings.Contains(err.Error(), "GATEWAY_"+name+":") {
			t.Errorf("error does not name GATEWAY_%s: %v", name, err)
		}
	}
}
