package redistest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestServerKillAndRestart(t *testing.T) {
	for _, aof := range []bool{false, true} {
		s := StartServer(t, ServerOptions{AppendOnly: aof})
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
		ctx := context.Background()
		if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		s.Kill()
		if err := rdb.Ping(ctx).Err(); err == nil {
			t.Fatal("killed server answers")
		}
		s.Start()
		v, err := rdb.Get(ctx, "k").Result()
		if aof && v != "v" || !aof && err != redis.Nil {
			t.Fatalf("aof=%v: after restart got %q, %v", aof, v, err)
		}
		rdb.Close()
	}
}
