package redistest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { Main(m) }

// The keys of a test, under both of its prefixes and with or without a
// TTL, are gone when it ends.
func TestClientDeletesItsKeys(t *testing.T) {
	var rdb redis.UniversalClient
	var prefixes []string
	t.Run("user", func(t *testing.T) {
		c, p := Client(t)
		rdb = c
		prefixes = []string{p, Prefix(t, c)}
		ctx := context.Background()
		for _, p := range prefixes {
			for _, k := range []string{"a", "{jobs}:b", "c:d"} {
				if err := c.Set(ctx, p+k, "v", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Set(ctx, p+"expiring", "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if len(prefixes) != 2 || prefixes[0] == prefixes[1] {
		t.Fatalf("prefixes %q", prefixes)
	}
	if err := rdb.Ping(context.Background()).Err(); err == nil {
		t.Error("the client is still open after its test ended")
	}
	check, _ := Client(t)
	for _, p := range prefixes {
		keys, err := scan(context.Background(), check.(*redis.Client), p+"*")
		if err != nil || len(keys) > 0 {
			t.Errorf("after the test, %s* holds %q (%v)", p, keys, err)
		}
	}
}

// On a cluster the keys spread over every master, and each one is
// emptied.
func TestPrefixDeletesItsKeysOnACluster(t *testing.T) {
	cluster := StartCluster(t)
	rdb := cluster.Client(t)
	var prefix string
	t.Run("user", func(t *testing.T) {
		prefix = Prefix(t, rdb)
		for i := range 30 {
			if err := rdb.Set(context.Background(), prefix+strconv.Itoa(i), "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := keysWithoutTTL(context.Background(), rdb, prefix+"*")
		if err != nil || len(keys) != 30 {
			t.Fatalf("%d keys on the cluster before the cleanup (%v)", len(keys), err)
		}
	})
	keys, err := keysWithoutTTL(context.Background(), rdb, prefix+"*")
	if err != nil || len(keys) > 0 {
		t.Errorf("after the test, the cluster holds %q (%v)", keys, err)
	}
}

// Main's check: keys without a TTL under a prefix this process handed
// out, or new ones outside every test prefix, are leftovers; keys that
// expire, keys of other processes' prefixes and keys that were there
// before are not. On a server of its own: a key outside every prefix on
// the shared one would fail the packages that run at the same time.
func TestLeftovers(t *testing.T) {
	srv := StartServer(t, ServerOptions{})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	mine, others := keyspace+randomHex(8)+":", keyspace+randomHex(8)+":"
	outside, old := "redistest-check:"+randomHex(8), "redistest-check:"+randomHex(8)
	set := map[string]time.Duration{
		mine + "leak": 0, mine + "expiring": time.Minute, others + "theirs": 0,
		outside + ":leak": 0, outside + ":expiring": time.Minute, old: 0,
	}
	for k, ttl := range set {
		if err := rdb.Set(ctx, k, "v", ttl).Err(); err != nil {
			t.Fatal(err)
		}
	}
	left, out, err := leftovers(ctx, rdb, map[string]bool{mine: true}, map[string]bool{old: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(left, mine+"leak") || slices.Contains(left, mine+"expiring") || slices.Contains(left, others+"theirs") {
		t.Errorf("left under the prefixes given: %q", left)
	}
	if !slices.Contains(out, outside+":leak") || slices.Contains(out, outside+":expiring") || slices.Contains(out, old) {
		t.Errorf("left outside every prefix: %q", out)
	}
}
