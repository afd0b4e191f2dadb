package cache

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys under the instance's prefix (GATEWAY_REDIS_PREFIX):
//
//	<prefix>signedurl:result:<base>:<cache_key>:<hash>  the cached Entry, TTL 24 h
//	<prefix>signedurl:lock:<...>                         "<job id>/<owner token>", PX lease
//	<prefix>signedurl:status:<...>                       the running job's latest Entry
//	<prefix>signedurl:done:<...>                         pub/sub channel: the final Entry
const (
	resultNS  = "signedurl:result:"
	lockNS    = "signedurl:lock:"
	statusNS  = "signedurl:status:"
	channelNS = "signedurl:done:"
)

// The lock is only changed by whoever holds it.
var (
	swapScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
  return 1
end
return 0`)
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
)

// NewRedis returns a cache in rdb under prefix, shared by every instance
// on that Redis. It subscribes to the end-of-job signals before returning,
// so no signal sent after NewRedis returns is missed.
func NewRedis(ctx context.Context, rdb redis.UniversalClient, prefix string, opts Options) (*Cache, error) {
	opts.defaults()
	b := &redisBackend{rdb: rdb, prefix: prefix, subs: map[string]map[chan Entry]struct{}{}, log: opts.Log}
	ps := rdb.PSubscribe(ctx, prefix+channelNS+"*")
	// Receive waits for the confirmation: messages published before it
	// would be lost.
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, wrapBackend("subscribe", err)
	}
	b.ps = ps
	b.done = make(chan struct{})
	go b.fanOut()
	return &Cache{b: b, opts: opts}, nil
}

type redisBackend struct {
	rdb    redis.UniversalClient
	prefix string
	log    *slog.Logger
	ps     *redis.PubSub
	done   chan struct{}

	mu   sync.Mutex
	subs map[string]map[chan Entry]struct{}
}

// fanOut hands each end-of-job signal to this instance's waiters for it.
func (b *redisBackend) fanOut() {
	defer close(b.done)
	for msg := range b.ps.Channel() {
		k := strings.TrimPrefix(msg.Channel, b.prefix+channelNS)
		var e Entry
		if err := json.Unmarshal([]byte(msg.Payload), &e); err != nil {
			b.log.Warn("result cache: bad signal", "channel", msg.Channel, "err", err)
			continue
		}
		b.mu.Lock()
		for ch := range b.subs[k] {
			select {
			case ch <- e:
			default:
			}
		}
		b.mu.Unlock()
	}
}

func (b *redisBackend) getEntry(ctx context.Context, key string) (Entry, bool, error) {
	data, err := b.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, wrapBackend("get", err)
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		// A damaged entry is a miss, not an outage.
		b.log.Warn("result cache: undecodable entry", "key", key, "err", err)
		return Entry{}, false, nil
	}
	return e, true, nil
}

func (b *redisBackend) setEntry(ctx context.Context, key string, e Entry, ttl time.Duration) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return wrapBackend("set", b.rdb.Set(ctx, key, data, ttl).Err())
}

func (b *redisBackend) getResult(ctx context.Context, k string) (Entry, bool, error) {
	return b.getEntry(ctx, b.prefix+resultNS+k)
}

func (b *redisBackend) setResult(ctx context.Context, k string, e Entry, ttl time.Duration) error {
	return b.setEntry(ctx, b.prefix+resultNS+k, e, ttl)
}

func (b *redisBackend) acquire(ctx context.Context, k, value string, lease time.Duration) (bool, error) {
	ok, err := b.rdb.SetNX(ctx, b.prefix+lockNS+k, value, lease).Result()
	return ok, wrapBackend("lock", err)
}

func (b *redisBackend) swap(ctx context.Context, k, old, value string, lease time.Duration) (bool, error) {
	n, err := swapScript.Run(ctx, b.rdb, []string{b.prefix + lockNS + k}, old, value, lease.Milliseconds()).Int()
	return n == 1, wrapBackend("renew lock", err)
}

func (b *redisBackend) release(ctx context.Context, k, value string) error {
	return wrapBackend("unlock", releaseScript.Run(ctx, b.rdb, []string{b.prefix + lockNS + k}, value).Err())
}

func (b *redisBackend) locked(ctx context.Context, k string) (bool, error) {
	n, err := b.rdb.Exists(ctx, b.prefix+lockNS+k).Result()
	return n == 1, wrapBackend("exists", err)
}

func (b *redisBackend) setStatus(ctx context.Context, k string, e Entry, ttl time.Duration) error {
	return b.setEntry(ctx, b.prefix+statusNS+k, e, ttl)
}

func (b *redisBackend) getStatus(ctx context.Context, k string) (Entry, bool, error) {
	return b.getEntry(ctx, b.prefix+statusNS+k)
}

func (b *redisBackend) publish(ctx context.Context, k string, e Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return wrapBackend("publish", b.rdb.Publish(ctx, b.prefix+channelNS+k, data).Err())
}

func (b *redisBackend) subscribe(k string) (<-chan Entry, func()) {
	ch := make(chan Entry, 1)
	b.mu.Lock()
	if b.subs[k] == nil {
		b.subs[k] = map[chan Entry]struct{}{}
	}
	b.subs[k][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[k], ch)
		if len(b.subs[k]) == 0 {
			delete(b.subs, k)
		}
		b.mu.Unlock()
	}
}

func (b *redisBackend) close() error {
	err := b.ps.Close()
	<-b.done
	return err
}

// ResultKey is the Redis key of k's result under prefix, for operators and
// tests that inspect it.
func ResultKey(prefix string, k Key) string { return prefix + resultNS + k.String() }
