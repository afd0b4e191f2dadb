package objects

import (
	"strings"
	"testing"
)

// Every setting takes part in the cache key, the secret included, but the
// key does not show the secret.
func TestS3ConfigCacheKey(t *testing.T) {
	base := S3Config{Bucket: "b", Prefix: "p", Endpoint: "http://e", Region: "r", ForcePathStyle: true,
		AccessKeyID: "AK", SecretAccessKey: "the-secret-value"}
	changes := []func(*S3Config){
		func(c *S3Config) { c.Bucket = "b2" },
		func(c *S3Config) { c.Prefix = "p2" },
		func(c *S3Config) { c.Endpoint = "http://e2" },
		func(c *S3Config) { c.Region = "r2" },
		func(c *S3Config) { c.ForcePathStyle = false },
		func(c *S3Config) { c.AccessKeyID = "AK2" },
		func(c *S3Config) { c.SecretAccessKey = "another-secret" },
		func(c *S3Config) { c.SessionToken = "token" },
	}
	key := base.CacheKey()
	if strings.Contains(key, "the-secret-value") {
		t.Fatalf("the cache key shows the secret: %q", key)
	}
	for i, change := range changes {
		c := base
		change(&c)
		if c.CacheKey() == key {
			t.Errorf("change %d keeps the key", i)
		}
	}
}
