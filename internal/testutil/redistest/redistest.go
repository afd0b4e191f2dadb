// Package redistest gives tests a real Redis server: the one named by
// GATEWAY_TEST_REDIS_URL (default redis://127.0.0.1:6379/0), with a key
// prefix of its own for each test so that tests never see each other's data.
// Where no Redis answers, a test is skipped on a developer machine and fails
// in CI (CI=true), so a missing Redis can never pass for a green run.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// URL returns the Redis URL tests use.
func URL() string {
	if u := os.Getenv("GATEWAY_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Client returns a client of the test Redis and a key prefix unique to t.
// Keys under the prefix are deleted when t ends.
func Client(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	opts, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("parse GATEWAY_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s does not answer (required in CI): %v", URL(), err)
		}
		t.Skipf("Redis at %s does not answer: %v (set CI=true to make this a failure)", URL(), err)
	}
	prefix := "test:" + randomHex(8) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}

// Prefix returns a fresh key prefix, for a test that needs more than one
// isolated namespace.
func Prefix() string { return "test:" + randomHex(8) + ":" }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
