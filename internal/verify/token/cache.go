package token

import (
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultCacheSize and DefaultCacheMaxAge are used by NewCache for
// non-positive arguments.
const (
	DefaultCacheSize   = 1 << 16
	DefaultCacheMaxAge = 10 * time.Minute
)

// maxShards spreads lock traffic over the cores; tokens are keyed by their
// SHA-256, so any byte of it picks a shard evenly.
const (
	maxShards   = 64
	minPerShard = 64
)

// Cache remembers tokens whose signature has been verified, so that a
// viewer resending one token on every media segment costs one RSA
// verification, not one per request. It holds a SHA-256 of each token, not
// the token. An entry lives until the token expires (plus leeway) or for
// the cache's max age, whichever comes first; the max age also bounds how
// long a token without exp is trusted without a fresh signature check.
// When a shard is full, the less recently used of two random entries goes.
//
// A hit only saves the signature check: Verify still looks the key up and
// checks bucket, scope and time against the request. Cache is safe for
// concurrent use.
type Cache struct {
	shards   []cacheShard
	perShard int
	maxAge   time.Duration
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]*cacheEntry
	_  [40]byte // keep neighbouring shard locks off one cache line
}

type cacheEntry struct {
	claims   Claims // KeyID included
	pub      *rsa.PublicKey
	deadline int64        // unix nanoseconds; the entry is dead from then on
	lastUsed atomic.Int64 // unix nanoseconds, coarse; for eviction
}

// NewCache returns a cache holding at most maxEntries tokens, each for at
// most maxAge.
func NewCache(maxEntries int, maxAge time.Duration) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheSize
	}
	if maxAge <= 0 {
		maxAge = DefaultCacheMaxAge
	}
	// Small caches get fewer shards: one-entry shards would evict on
	// every hash collision long before the cache is full.
	n := 1
	for n*2 <= maxShards && n*2*minPerShard <= maxEntries {
		n *= 2
	}
	c := &Cache{shards: make([]cacheShard, n), perShard: maxEntries / n, maxAge: maxAge}
	for i := range c.shards {
		c.shards[i].m = make(map[[sha256.Size]byte]*cacheEntry)
	}
	return c
}

func (c *Cache) shard(sum *[sha256.Size]byte) *cacheShard {
	return &c.shards[int(sum[0])&(len(c.shards)-1)]
}

func (c *Cache) get(sum *[sha256.Size]byte, now time.Time) (*cacheEntry, bool) {
	s := c.shard(sum)
	s.mu.RLock()
	e, ok := s.m[*sum]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	t := now.UnixNano()
	if t >= e.deadline {
		s.mu.Lock()
		if s.m[*sum] == e {
			delete(s.m, *sum)
		}
		s.mu.Unlock()
		return nil, false
	}
	// Writing on every hit would bounce the cache line of a popular token
	// between cores; a second's precision is plenty for eviction.
	if t-e.lastUsed.Load() > int64(time.Second) {
		e.lastUsed.Store(t)
	}
	return e, true
}

func (c *Cache) put(sum *[sha256.Size]byte, e *cacheEntry, now time.Time, leeway time.Duration) {
	deadline := now.Add(c.maxAge)
	if exp := e.claims.ExpiresAt; !exp.IsZero() && exp.Add(leeway).Before(deadline) {
		deadline = exp.Add(leeway)
	}
	e.deadline = deadline.UnixNano()
	e.lastUsed.Store(now.UnixNano())

	s := c.shard(sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[*sum]; !ok && len(s.m) >= c.perShard {
		s.evictOne(now.UnixNano())
	}
	s.m[*sum] = e
}

// evictOne drops the less recently used of two entries that map iteration,
// which starts at a random place, happens to yield first; a dead entry goes
// at once. The caller holds the write lock.
func (s *cacheShard) evictOne(now int64) {
	var victim [sha256.Size]byte
	var oldest int64
	seen := 0
	for k, e := range s.m {
		if now >= e.deadline {
			victim = k
			break
		}
		if used := e.lastUsed.Load(); seen == 0 || used < oldest {
			victim, oldest = k, used
		}
		seen++
		if seen == 2 {
			break
		}
	}
	delete(s.m, victim)
}

// DropKey removes every entry signed by the key kid and reports how many.
// Verify already refuses cached tokens of a key the lookup no longer knows;
// dropping them also frees the memory and covers a kid reused later.
func (c *Cache) DropKey(kid string) int {
	dropped := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if e.claims.KeyID == kid {
				delete(s.m, k)
				dropped++
			}
		}
		s.mu.Unlock()
	}
	return dropped
}

// Len returns the number of entries, live or not yet evicted.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
