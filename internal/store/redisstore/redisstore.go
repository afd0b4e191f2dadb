// Package redisstore is the record store shared by every gateway instance,
// and the one place that connects to Redis (conn.go):
// one Redis hash per kind of record. Each write also bumps a version counter
// and publishes the change, so every instance drops its cached view at once;
// a poll of the version counter catches what a dropped subscription missed,
// which bounds staleness to the poll interval even then.
package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/store"
)

// PollInterval is how often the version counter is read as a safety net for
// lost notifications; it keeps every instance within one second of the truth.
const PollInterval = 250 * time.Millisecond

// Store keeps records in Redis under a key prefix.
type Store struct {
	store.Notifier

	rdb    redis.UniversalClient
	prefix string
	log    *slog.Logger

	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

var _ store.Store = (*Store)(nil)

// New returns a store on rdb whose keys start with prefix, and starts
// following changes. Close stops that; it does not close rdb.
func New(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.Default()
	}
	s := &Store{rdb: rdb, prefix: prefix, log: log, stop: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	sub := rdb.Subscribe(ctx, s.channel())
	// Wait for the subscription to be confirmed and read the version after
	// it, so that no change made from now on can slip between the two.
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	if _, err := sub.Receive(rctx); err != nil {
		log.Warn("subscribe to record changes; relying on polling", "err", err)
	}
	version := s.version(rctx)
	rcancel()
	s.done.Add(1)
	go func() {
		defer cancel()
		s.follow(ctx, sub, version)
	}()
	return s
}

// version reads the change counter; -1 when it cannot be read.
func (s *Store) version(ctx context.Context) int64 {
	v, err := s.rdb.Get(ctx, s.versionKey()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0
	}
	if err != nil {
		return -1
	}
	return v
}

// Every key shares the {records} hash tag so that a write and its version
// bump land in one Cluster slot and can run in one transaction.
func (s *Store) hashKey(kind string) string { return s.prefix + "{records}:" + kind }
func (s *Store) versionKey() string         { return s.prefix + "{records}:version" }
func (s *Store) channel() string            { return s.prefix + "records:changes" }

// Close stops following changes.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.stop) })
	s.done.Wait()
	return nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Get returns one record.
func (s *Store) Get(ctx context.Context, kind, id string) ([]byte, error) {
	data, err := s.rdb.HGet(ctx, s.hashKey(kind), id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, store.ErrNotFound
	}
	return data, err
}

// List returns every record of kind.
func (s *Store) List(ctx context.Context, kind string) (map[string][]byte, error) {
	all, err := s.rdb.HGetAll(ctx, s.hashKey(kind)).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(all))
	for id, v := range all {
		out[id] = []byte(v)
	}
	return out, nil
}

// Put creates or replaces a record.
func (s *Store) Put(ctx context.Context, kind, id string, data []byte) error {
	var version *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.hashKey(kind), id, data)
		version = p.Incr(ctx, s.versionKey())
		return nil
	})
	if err != nil {
		return err
	}
	s.publish(ctx, kind, id, version.Val())
	return nil
}

// createScript stores a record only if absent and bumps the version in the
// same atomic step.
var createScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
return redis.call('INCR', KEYS[2])`)

// Create stores a record unless one has that id.
func (s *Store) Create(ctx context.Context, kind, id string, data []byte) error {
	version, err := createScript.Run(ctx, s.rdb, []string{s.hashKey(kind), s.versionKey()}, id, data).Int64()
	if err != nil {
		return err
	}
	if version == 0 {
		return store.ErrExists
	}
	s.publish(ctx, kind, id, version)
	return nil
}

var deleteScript = redis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
return redis.call('INCR', KEYS[2])`)

// Delete removes a record.
func (s *Store) Delete(ctx context.Context, kind, id string) error {
	version, err := deleteScript.Run(ctx, s.rdb, []string{s.hashKey(kind), s.versionKey()}, id).Int64()
	if err != nil {
		return err
	}
	if version == 0 {
		return store.ErrNotFound
	}
	s.publish(ctx, kind, id, version)
	return nil
}

// publish announces a change; version is the counter's value the write
// made, so that followers know which version the message accounts for.
func (s *Store) publish(ctx context.Context, kind, id string, version int64) {
	// A lost publish is caught by the version poll; the write itself stands.
	payload := kind + "\x00" + id + "\x00" + strconv.FormatInt(version, 10)
	if err := s.rdb.Publish(ctx, s.channel(), payload).Err(); err != nil {
		s.log.Warn("publish record change", "kind", kind, "err", err)
	}
	// This instance learns at once, whatever the subscription's state.
	s.Notify(store.Change{Kind: kind, ID: id})
}

// follow delivers changes made by other instances: from the subscription as
// they happen, and from the version counter when it moved without a message
// we saw (a reconnect, a missed publish). Each message names the version its
// write made, so the counter moving by messages already delivered is no
// news; a counter ahead of the messages on two polls in a row is, and then
// every cached view reloads (Change{}).
func (s *Store) follow(ctx context.Context, sub *redis.PubSub, lastVersion int64) {
	defer s.done.Done()
	defer sub.Close()
	msgs := sub.Channel()
	behind := false // the counter was ahead of the messages at the last poll
	ticker := time.NewTicker(PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			kind, rest, _ := strings.Cut(m.Payload, "\x00")
			id, version, _ := strings.Cut(rest, "\x00")
			if v, err := strconv.ParseInt(version, 10, 64); err == nil && v == lastVersion+1 {
				lastVersion = v
			}
			s.Notify(store.Change{Kind: kind, ID: id})
		case <-ticker.C:
			pctx, pcancel := context.WithTimeout(ctx, PollInterval)
			v := s.version(pctx)
			pcancel()
			switch {
			case v < 0:
				continue // Redis unreachable for now; try again next tick
			case v == lastVersion:
				behind = false
			case !behind:
				// The message of a write may still be on its way.
				behind = true
			default:
				s.Notify(store.Change{}) // something changed unseen: reload everything
				lastVersion, behind = v, false
			}
		}
	}
}
