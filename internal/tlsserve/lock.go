package tlsserve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Locker is the named mutex CertMagic takes around an order, a renewal or
// an account's registration, so that one instance does it and the others
// find the result in storage.
type Locker interface {
	// Lock takes the lock name, waiting while ctx lasts.
	Lock(ctx context.Context, name string) error
	// Unlock releases a lock this Locker took.
	Unlock(ctx context.Context, name string) error
}

// LocalLocker is a Locker within one process: an embedded gateway's data
// directory belongs to one process (the record store locks it).
type LocalLocker struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed on Unlock
}

// NewLocalLocker returns a LocalLocker.
func NewLocalLocker() *LocalLocker { return &LocalLocker{held: map[string]chan struct{}{}} }

// Lock takes name.
func (l *LocalLocker) Lock(ctx context.Context, name string) error {
	for {
		l.mu.Lock()
		released, busy := l.held[name]
		if !busy {
			l.held[name] = make(chan struct{})
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		select {
		case <-released:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Unlock releases name.
func (l *LocalLocker) Unlock(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	released, ok := l.held[name]
	if !ok {
		return errors.New("tls lock " + name + " is not held")
	}
	delete(l.held, name)
	close(released)
	return nil
}

// Defaults of RedisLocker.
const (
	// DefaultLockLease is how long a lock outlives the last renewal of its
	// holder: the wait of the others when the holder died.
	DefaultLockLease = 20 * time.Second
	// lockPoll is how often a waiter tries again.
	lockPoll = 250 * time.Millisecond
)

// RedisLocker is a Locker shared by every instance on one Redis: a key
// set with SET NX PX to a token of the holder's, whose lease the holder
// renews (a third of the lease apart) until it unlocks. A holder that
// dies stops renewing, and the lock is free once its lease has run out.
type RedisLocker struct {
	rdb    redis.UniversalClient
	prefix string
	lease  time.Duration
	log    *slog.Logger

	mu   sync.Mutex
	held map[string]*redisLock
}

type redisLock struct {
	token string
	stop  chan struct{}
	done  chan struct{}
}

// NewRedisLocker returns the locker whose keys are prefix+"tls:lock:"+name;
// a lease of 0 is DefaultLockLease.
func NewRedisLocker(rdb redis.UniversalClient, prefix string, lease time.Duration, log *slog.Logger) *RedisLocker {
	if lease <= 0 {
		lease = DefaultLockLease
	}
	if log == nil {
		log = slog.Default()
	}
	return &RedisLocker{rdb: rdb, prefix: prefix, lease: lease, log: log, held: map[string]*redisLock{}}
}

func (l *RedisLocker) key(name string) string { return l.prefix + "tls:lock:" + name }

// renewScript extends the lease of a lock still held with the token.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// unlockScript deletes a lock still held with the token.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock takes name, trying again every 250 ms while another holds it. An
// error of Redis ends the wait: CertMagic then gives up the operation.
func (l *RedisLocker) Lock(ctx context.Context, name string) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	token := hex.EncodeToString(b[:])
	key := l.key(name)
	for {
		ok, err := l.rdb.SetNX(ctx, key, token, l.lease).Result()
		if err != nil {
			return err
		}
		if ok {
			break
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	lk := &redisLock{token: token, stop: make(chan struct{}), done: make(chan struct{})}
	l.mu.Lock()
	l.held[name] = lk
	l.mu.Unlock()
	go l.renew(name, key, lk)
	return nil
}

// renew extends lk's lease until it is unlocked or lost.
func (l *RedisLocker) renew(name, key string, lk *redisLock) {
	defer close(lk.done)
	tick := time.NewTicker(l.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-lk.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
		n, err := renewScript.Run(ctx, l.rdb, []string{key}, lk.token, l.lease.Milliseconds()).Int()
		cancel()
		switch {
		case errors.Is(err, redis.ErrClosed):
			return
		case err != nil:
			// Redis is away: try again at the next tick, within the lease.
			l.log.Warn("renew tls lock", "lock", name, "err", err)
		case n == 0:
			l.log.Warn("tls lock lost: its lease ran out before it was renewed", "lock", name)
			return
		}
	}
}

// Unlock releases name, if this locker still holds it.
func (l *RedisLocker) Unlock(ctx context.Context, name string) error {
	l.mu.Lock()
	lk, ok := l.held[name]
	delete(l.held, name)
	l.mu.Unlock()
	if !ok {
		return errors.New("tls lock " + name + " is not held")
	}
	close(lk.stop)
	<-lk.done
	// Released even when the operation's context has ended: else the
	// others wait for the lease.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.lease/3)
	defer cancel()
	return unlockScript.Run(ctx, l.rdb, []string{l.key(name)}, lk.token).Err()
}
