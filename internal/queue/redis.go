package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys under the instance's prefix, all in the {jobs} hash slot:
//
//	<prefix>{jobs}:stream:<class>  the jobs of a class (consumer group "workers")
//	<prefix>{jobs}:depth           how many jobs are queued or running
const group = "workers"

// Redis is the queue on Redis Streams, shared by every instance.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	// Lease is how long a job stays with a worker that stopped renewing
	// it before another may take it over.
	Lease time.Duration
	// Max bounds the jobs queued or running; Enqueue answers ErrFull past it.
	Max int64
	// Block is how long one read waits for a job before looking again for
	// jobs to take over (1 s).
	Block time.Duration

	// groups are the streams whose consumer group is known to exist: a
	// Take creates a group once, not before every read, and again when
	// Redis answers NOGROUP (it lost its data).
	groups sync.Map // stream key -> struct{}
}

var _ Queue = (*Redis)(nil)

// NewRedis returns the queue on rdb under prefix.
func NewRedis(rdb redis.UniversalClient, prefix string, lease time.Duration, max int64) *Redis {
	return &Redis{rdb: rdb, prefix: prefix, Lease: lease, Max: max, Block: time.Second}
}

func (q *Redis) stream(class string) string { return q.prefix + "{jobs}:stream:" + class }
func (q *Redis) depthKey() string           { return q.prefix + "{jobs}:depth" }

// enqueueScript adds a job unless the queue is full, and makes sure the
// stream has its consumer group.
var enqueueScript = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[1]) then return false end
local ok, err = pcall(redis.call, 'XGROUP', 'CREATE', KEYS[1], ARGV[2], '0', 'MKSTREAM')
local id = redis.call('XADD', KEYS[1], '*', 'id', ARGV[3], 'needs', ARGV[4], 'payload', ARGV[5], 'enqueued', ARGV[6])
redis.call('INCR', KEYS[2])
return id`)

// Enqueue implements the queue: the job goes to the stream of its class.
func (q *Redis) Enqueue(ctx context.Context, job Job) error {
	if job.Enqueued.IsZero() {
		job.Enqueued = time.Now()
	}
	_, err := enqueueScript.Run(ctx, q.rdb, []string{q.stream(Class(job.Needs)), q.depthKey()},
		q.Max, group, job.ID, strings.Join(job.Needs, ","), job.Payload, job.Enqueued.UnixMilli()).Result()
	if errors.Is(err, redis.Nil) {
		return ErrFull
	}
	return err
}

// Depth is how many jobs are queued or running.
func (q *Redis) Depth(ctx context.Context) (int64, error) {
	n, err := q.rdb.Get(ctx, q.depthKey()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// Take implements Queue.
func (q *Redis) Take(ctx context.Context, consumer string, classes []string) (Lease, error) {
	streams := make([]string, 0, 2*len(classes))
	for _, c := range classes {
		streams = append(streams, q.stream(c))
	}
	for range classes {
		streams = append(streams, ">")
	}
	for {
		if err := q.ensureGroups(ctx, streams[:len(classes)]); err != nil {
			return nil, err
		}
		for i, c := range classes {
			l, err := q.takeOver(ctx, consumer, c, streams[i])
			if err != nil {
				if q.lostGroup(err) {
					break // made again at the top of the loop
				}
				return nil, err
			}
			if l != nil {
				return l, nil
			}
		}
		res, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: group, Consumer: consumer, Streams: streams, Count: 1, Block: q.Block,
		}).Result()
		if errors.Is(err, redis.Nil) || q.lostGroup(err) {
			continue // nothing within Block: look for takeovers again
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		// One read may deliver a job of each stream that had one: the first
		// is this worker's, the others go back at once for any worker.
		var got *redisLease
		for _, s := range res {
			class := strings.TrimPrefix(s.Stream, q.prefix+"{jobs}:stream:")
			for _, m := range s.Messages {
				l := q.lease(consumer, class, m, 1)
				if got == nil {
					got = l
					continue
				}
				if err := l.Release(context.WithoutCancel(ctx)); err != nil {
					return nil, err
				}
			}
		}
		if got != nil {
			return got, nil
		}
	}
}

// ensureGroups creates the consumer group of each stream not known to
// have one.
func (q *Redis) ensureGroups(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if _, ok := q.groups.Load(key); ok {
			continue
		}
		err := q.rdb.XGroupCreateMkStream(ctx, key, group, "0").Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return fmt.Errorf("queue: create the group of %s: %w", key, err)
		}
		q.groups.Store(key, struct{}{})
	}
	return nil
}

// lostGroup reports whether err says a group is gone (Redis restarted
// without its data), and forgets the groups so the next read makes them.
func (q *Redis) lostGroup(err error) bool {
	if err == nil || !strings.HasPrefix(err.Error(), "NOGROUP") {
		return false
	}
	q.groups.Clear()
	return true
}

// takeOver leases a job of class whose lease ran out, if there is one.
func (q *Redis) takeOver(ctx context.Context, consumer, class, key string) (*redisLease, error) {
	msgs, _, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: key, Group: group, Consumer: consumer, MinIdle: q.Lease, Start: "0-0", Count: 1,
	}).Result()
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	m := msgs[0]
	pending, err := q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: key, Group: group, Start: m.ID, End: m.ID, Count: 1,
	}).Result()
	if err != nil {
		return nil, err
	}
	attempt := 2
	if len(pending) == 1 {
		attempt = int(pending[0].RetryCount)
	}
	return q.lease(consumer, class, m, attempt), nil
}

func (q *Redis) lease(consumer, class string, m redis.XMessage, attempt int) *redisLease {
	field := func(k string) string { s, _ := m.Values[k].(string); return s }
	job := Job{ID: field("id"), Payload: []byte(field("payload")), Attempt: attempt}
	if needs := field("needs"); needs != "" {
		job.Needs = strings.Split(needs, ",")
	}
	if ms, err := strconv.ParseInt(field("enqueued"), 10, 64); err == nil {
		job.Enqueued = time.UnixMilli(ms)
	}
	return &redisLease{q: q, consumer: consumer, key: q.stream(class), msgID: m.ID, job: job}
}

// redisLease is a job held by a worker: a pending entry of the group.
type redisLease struct {
	job      Job
	q        *Redis
	consumer string
	key      string
	msgID    string
}

// The lease scripts act only while the job is still this worker's: a
// worker whose lease was taken over can neither renew nor end the job.
var (
	renewScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1`)
	ackScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
if redis.call('XDEL', KEYS[1], ARGV[3]) == 1 then redis.call('DECR', KEYS[2]) end
return 1`)
	// releaseScript hands the job back: idle as long as a lease, so the
	// next Take of any worker takes it over, and its delivery count one
	// less, so that a job handed back at a shutdown does not spend an
	// attempt.
	releaseScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'RETRYCOUNT', math.max(p[1][4] - 1, 0), 'JUSTID')
return 1`)
)

func (l *redisLease) Job() Job { return l.job }

func (l *redisLease) run(ctx context.Context, s *redis.Script, extra ...any) error {
	args := append([]any{group, l.consumer, l.msgID}, extra...)
	n, err := s.Run(ctx, l.q.rdb, []string{l.key, l.q.depthKey()}, args...).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

func (l *redisLease) Renew(ctx context.Context) error { return l.run(ctx, renewScript) }
func (l *redisLease) Ack(ctx context.Context) error   { return l.run(ctx, ackScript) }
func (l *redisLease) Release(ctx context.Context) error {
	return l.run(ctx, releaseScript, l.q.Lease.Milliseconds()+1)
}
