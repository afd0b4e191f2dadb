package redisstore

// The connection to Redis: one client built from GATEWAY_REDIS_URL for a
// single server, a Cluster or Sentinel, shared by the record store, the
// result cache and the locks.

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Connect connects to rawURL in mode (single, cluster or sentinel) and checks
// that the server answers.
func Connect(ctx context.Context, rawURL, mode string) (redis.UniversalClient, error) {
	var client redis.UniversalClient
	switch mode {
	case "", "single":
		opts, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("parse redis URL: %w", err)
		}
		client = redis.NewClient(opts)
	case "cluster":
		opts, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("parse redis cluster URL: %w", err)
		}
		client = redis.NewClusterClient(opts)
	case "sentinel":
		opts, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("parse redis sentinel URL: %w", err)
		}
		client = redis.NewFailoverClient(opts)
	default:
		return nil, fmt.Errorf("unknown redis mode %q", mode)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis does not answer: %w", err)
	}
	return client, nil
}
