package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Worker is a worker process as it announces itself.
type Worker struct {
	// ID is the consumer name, unique per process.
	ID   string `json:"id"`
	Host string `json:"host"`
	// Families are the engine families it runs (it reads
	// Classes(Families)).
	Families []string `json:"families"`
	// Formats are the conversions its engines do, in the shape of
	// GET /v1/formats; opaque here.
	Formats json.RawMessage `json:"formats"`
	// Slots is how many jobs it runs at once; Running how many it runs now.
	Slots   int `json:"slots"`
	Running int `json:"running"`
	// Seen is when it last announced itself; Announce sets it.
	Seen time.Time `json:"seen"`
}

// Roster lists the live workers.
type Roster interface {
	// Announce records w as live for ttl from now (call again before it ends).
	Announce(ctx context.Context, w Worker, ttl time.Duration) error
	// Leave removes the worker at once (a clean shutdown).
	Leave(ctx context.Context, id string) error
	// Live lists the workers whose announcement has not expired, sorted by ID.
	Live(ctx context.Context) ([]Worker, error)
}

// checkAnnounce refuses an announcement no roster can keep.
func checkAnnounce(w Worker, ttl time.Duration) error {
	if w.ID == "" {
		return errors.New("roster: a worker needs an ID")
	}
	if ttl <= 0 {
		return fmt.Errorf("roster: worker %s announced for %v; want a positive time", w.ID, ttl)
	}
	return nil
}

// MemoryRoster is the roster of one process (the embedded default).
type MemoryRoster struct {
	mu      sync.Mutex
	workers map[string]memWorker
	now     func() time.Time
}

var _ Roster = (*MemoryRoster)(nil)

type memWorker struct {
	w       Worker
	expires time.Time
}

// NewMemoryRoster returns an empty roster.
func NewMemoryRoster() *MemoryRoster {
	return &MemoryRoster{workers: map[string]memWorker{}, now: time.Now}
}

// Announce implements Roster.
func (r *MemoryRoster) Announce(_ context.Context, w Worker, ttl time.Duration) error {
	if err := checkAnnounce(w, ttl); err != nil {
		return err
	}
	now := r.now()
	w = cloneWorker(w)
	w.Seen = now
	r.mu.Lock()
	defer r.mu.Unlock()
	r.workers[w.ID] = memWorker{w: w, expires: now.Add(ttl)}
	return nil
}

// Leave implements Roster.
func (r *MemoryRoster) Leave(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.workers, id)
	return nil
}

// Live implements Roster; it forgets the expired workers it finds.
func (r *MemoryRoster) Live(context.Context) ([]Worker, error) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	live := make([]Worker, 0, len(r.workers))
	for id, m := range r.workers {
		if !now.Before(m.expires) {
			delete(r.workers, id)
			continue
		}
		live = append(live, cloneWorker(m.w))
	}
	sortWorkers(live)
	return live, nil
}

// cloneWorker copies w's slices, so a caller's later changes do not reach
// the roster, nor the roster's the caller.
func cloneWorker(w Worker) Worker {
	w.Families = slices.Clone(w.Families)
	w.Formats = slices.Clone(w.Formats)
	return w
}

func sortWorkers(ws []Worker) {
	slices.SortFunc(ws, func(a, b Worker) int { return strings.Compare(a.ID, b.ID) })
}

// RedisRoster is the roster in Redis, shared by every instance: one hash,
//
//	<prefix>{jobs}:workers  field: worker ID, value: its announcement (JSON)
//
// in the {jobs} hash slot of the queue. Each value starts with the time its
// announcement expires; Live deletes the expired ones it finds, and the
// hash itself expires with its longest-lived announcement, so a fleet that
// is gone leaves nothing behind. Times are the Redis server's, so the
// clocks of the workers' hosts never decide who is live.
type RedisRoster struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ Roster = (*RedisRoster)(nil)

// NewRedisRoster returns the roster on rdb under prefix; rosters with the
// same prefix share it.
func NewRedisRoster(rdb redis.UniversalClient, prefix string) *RedisRoster {
	return &RedisRoster{rdb: rdb, prefix: prefix}
}

func (r *RedisRoster) key() string { return r.prefix + "{jobs}:workers" }

// announcement is a Worker as Announce sends it: without Seen, which the
// script adds.
type announcement struct {
	ID       string          `json:"id"`
	Host     string          `json:"host"`
	Families []string        `json:"families"`
	Formats  json.RawMessage `json:"formats,omitempty"`
	Slots    int             `json:"slots"`
	Running  int             `json:"running"`
}

// record is an announcement as stored: the script puts the expiry and
// the time it was seen, in Unix milliseconds of the server, first.
type record struct {
	Expires int64 `json:"expires"`
	SeenMS  int64 `json:"seen_ms"`
	announcement
}

// announceScript stores ARGV[2], a JSON object, as field ARGV[1], prefixed
// with its expiry ARGV[3] ms from the server's now and the time seen, and
// keeps the hash at least as long as that.
var announceScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
local value = '{"expires":' .. string.format('%d', now + ttl) .. ',"seen_ms":' .. string.format('%d', now) .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[1], ARGV[1], value)
if redis.call('PTTL', KEYS[1]) < ttl then
	redis.call('PEXPIRE', KEYS[1], ttl)
end
return now`)

// liveScript returns the values of the hash that have not expired by the
// server's clock, and deletes the others (and any value it cannot read).
var liveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
	local expires = tonumber(string.match(all[i + 1], '^{"expires":(%d+),'))
	if expires and expires > now then
		live[#live + 1] = all[i + 1]
	else
		redis.call('HDEL', KEYS[1], all[i])
	end
end
return live`)

// Announce implements Roster. Seen is the server's time.
func (r *RedisRoster) Announce(ctx context.Context, w Worker, ttl time.Duration) error {
	if err := checkAnnounce(w, ttl); err != nil {
		return err
	}
	body, err := json.Marshal(announcement{ID: w.ID, Host: w.Host, Families: w.Families,
		Formats: w.Formats, Slots: w.Slots, Running: w.Running})
	if err != nil {
		return fmt.Errorf("roster: announce %s: %w", w.ID, err)
	}
	ms := max(ttl.Milliseconds(), 1)
	if err := announceScript.Run(ctx, r.rdb, []string{r.key()}, w.ID, body, ms).Err(); err != nil {
		return fmt.Errorf("roster: announce %s: %w", w.ID, err)
	}
	return nil
}

// Leave implements Roster.
func (r *RedisRoster) Leave(ctx context.Context, id string) error {
	if err := r.rdb.HDel(ctx, r.key(), id).Err(); err != nil {
		return fmt.Errorf("roster: leave %s: %w", id, err)
	}
	return nil
}

// Live implements Roster; it deletes the expired announcements it finds.
func (r *RedisRoster) Live(ctx context.Context) ([]Worker, error) {
	values, err := liveScript.Run(ctx, r.rdb, []string{r.key()}).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("roster: list workers: %w", err)
	}
	live := make([]Worker, 0, len(values))
	for _, v := range values {
		var rec record
		if json.Unmarshal([]byte(v), &rec) != nil || rec.ID == "" {
			continue // not an announcement of this version: no worker to count on
		}
		a := rec.announcement
		live = append(live, Worker{ID: a.ID, Host: a.Host, Families: a.Families, Formats: a.Formats,
			Slots: a.Slots, Running: a.Running, Seen: time.UnixMilli(rec.SeenMS)})
	}
	sortWorkers(live)
	return live, nil
}
