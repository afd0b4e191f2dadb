// Package redistest gives tests a real Redis server: the one named by
// GATEWAY_TEST_REDIS_URL (default redis://127.0.0.1:6379/0). That server is
// shared by every test, every package and anyone else's test run on the
// machine, so each test gets a key prefix of its own (Client, Prefix) and
// every key under it is deleted when the test ends; Main, which each
// package that uses it calls from TestMain, fails the package when keys
// without a TTL are left behind all the same. Where no Redis answers, a
// test ends with testutil.MissingTool: it fails under `make test` and in CI,
// so a missing Redis can never pass for a green run.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/testutil"
)

// URLVar names the variable that gives the tests another Redis.
const URLVar = "GATEWAY_TEST_REDIS_URL"

// URL returns the Redis URL tests use.
func URL() string {
	if u := os.Getenv(URLVar); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// startCommand starts a Redis where URL() expects one (the set-up of
// `make test` does it when none answers).
const startCommand = `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`

// keyspace is the root of every test prefix: keys outside it are no
// test's, and Main watches that no test makes any.
const keyspace = "test:"

var (
	mu       sync.Mutex
	mainRan  bool
	prefixes = map[string]bool{} // every prefix handed out in this process
)

// Client returns a client of the shared test Redis and a key prefix unique
// to t. Keys under the prefix are deleted when t ends.
func Client(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	mu.Lock()
	ran := mainRan
	mu.Unlock()
	if !ran {
		t.Fatal("this package uses the shared Redis: its TestMain must call redistest.Main(m), which checks that its tests leave no keys behind")
	}
	opts, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("parse %s: %v", URLVar, err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		testutil.MissingTool(t, fmt.Sprintf("Redis at %s (%v)", URL(), err), startCommand)
	}
	t.Cleanup(func() { rdb.Close() }) // after the prefix's keys are gone
	return rdb, Prefix(t, rdb)
}

// Prefix returns a fresh key prefix on rdb (the shared Redis of Client, or
// a server or cluster of the test's own) whose keys are deleted when t
// ends, for a test that needs more than one namespace.
func Prefix(t testing.TB, rdb redis.UniversalClient) string {
	t.Helper()
	prefix := keyspace + randomHex(8) + ":"
	mu.Lock()
	prefixes[prefix] = true
	mu.Unlock()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deleteKeys(ctx, rdb, prefix+"*"); err != nil {
			t.Errorf("delete the test's Redis keys %s*: %v", prefix, err)
			return
		}
		// What a goroutine that outlived the test wrote in between: a leak
		// unless it expires on its own.
		if left, err := keysWithoutTTL(ctx, rdb, prefix+"*"); err != nil {
			t.Errorf("list the test's Redis keys %s*: %v", prefix, err)
		} else if len(left) > 0 {
			t.Errorf("Redis keys without a TTL written after the test's cleanup deleted its keys (a goroutine that outlives the test?): %s",
				strings.Join(left, " "))
		}
	})
	return prefix
}

// Main runs the package's tests and then fails the package when the
// shared Redis holds keys without a TTL under a prefix its tests were
// given, or outside every test prefix where there were none before the
// run. Call it from the TestMain of every package that uses Client:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
func Main(m *testing.M) {
	mu.Lock()
	mainRan = true
	mu.Unlock()
	rdb, before := sharedKeyspace()
	code := m.Run()
	if rdb != nil {
		if code == 0 {
			mu.Lock()
			given := maps.Clone(prefixes)
			mu.Unlock()
			left, outside, err := leftovers(context.Background(), rdb, given, before)
			if err != nil {
				fmt.Printf("redistest: check the keys left on %s: %v\n", URL(), err)
				code = 1
			}
			if len(left) > 0 {
				fmt.Printf("redistest: this package's tests left %d Redis keys without a TTL on %s: %s\n", len(left), URL(), strings.Join(left, " "))
				code = 1
			}
			if len(outside) > 0 {
				fmt.Printf("redistest: %d Redis keys without a TTL appeared on %s outside every test prefix during this package's run (written by its tests, or by another process on the same server): %s\n",
					len(outside), URL(), strings.Join(outside, " "))
				code = 1
			}
		}
		rdb.Close()
	}
	os.Exit(code)
}

// sharedKeyspace connects to the shared Redis and lists the keys outside
// every test prefix; nil when no Redis answers (then the tests that need
// it fail or skip on their own).
func sharedKeyspace() (*redis.Client, map[string]bool) {
	opts, err := redis.ParseURL(URL())
	if err != nil {
		return nil, nil
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	keys, err := scan(ctx, rdb, "*")
	if err != nil {
		rdb.Close()
		return nil, nil
	}
	outside := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, keyspace) {
			outside[k] = true
		}
	}
	return rdb, outside
}

// leftovers are the keys without a TTL under the prefixes given, and
// outside every test prefix those that are not in before.
func leftovers(ctx context.Context, rdb *redis.Client, given, before map[string]bool) (left, outside []string, err error) {
	keys, err := keysWithoutTTL(ctx, rdb, "*")
	if err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, keyspace) {
			if !before[k] {
				outside = append(outside, k)
			}
			continue
		}
		// test:<16 hex>: is the prefix; Prefix never hands out another shape.
		if end := len(keyspace) + 17; len(k) >= end && given[k[:end]] {
			left = append(left, k)
		}
	}
	return left, outside, nil
}

// deleteKeys deletes every key matching pattern: on each master of a
// cluster, one key at a time, since a cluster refuses a DEL of keys in
// different slots.
func deleteKeys(ctx context.Context, rdb redis.UniversalClient, pattern string) error {
	return eachNode(ctx, rdb, func(ctx context.Context, node *redis.Client) error {
		keys, err := scan(ctx, node, pattern)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := node.Unlink(ctx, k).Err(); err != nil {
				return err
			}
		}
		return nil
	})
}

// keysWithoutTTL are the keys matching pattern that never expire, sorted.
func keysWithoutTTL(ctx context.Context, rdb redis.UniversalClient, pattern string) ([]string, error) {
	var lock sync.Mutex // ForEachMaster calls fn on every master at once
	var out []string
	err := eachNode(ctx, rdb, func(ctx context.Context, node *redis.Client) error {
		keys, err := scan(ctx, node, pattern)
		if err != nil {
			return err
		}
		for _, k := range keys {
			ttl, err := node.TTL(ctx, k).Result()
			if err != nil {
				return err
			}
			if ttl == -1 { // -2, gone since the scan, is no leak
				lock.Lock()
				out = append(out, k)
				lock.Unlock()
			}
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// eachNode calls fn with rdb, or with each master of a cluster.
func eachNode(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	default:
		return fmt.Errorf("redistest: no way to reach every node of a %T", rdb)
	}
}

func scan(ctx context.Context, node *redis.Client, pattern string) ([]string, error) {
	var keys []string
	iter := node.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
