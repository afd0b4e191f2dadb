package jobstate

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys and channel under the store's prefix:
//
//	<prefix>jobstate:{<id>}  a job's state: a hash of state (the JSON of
//	                         State), attempt and final; the hash tag spreads
//	                         jobs over a Cluster's slots
//	<prefix>jobstate         the channel of every Put: {"id":...,"state":...}
//
// A Put is one script on one key, so it runs on a Cluster too; PUBLISH
// reaches the subscribers of every node of a Cluster, whichever node runs it.

// Redis is the store shared by every instance on one Redis (single,
// Sentinel or Cluster). Each Redis holds one subscription to the channel,
// and one goroutine hands its messages to the watchers of this instance.
type Redis struct {
	rdb      redis.UniversalClient
	prefix   string
	log      *slog.Logger
	watchers watchers

	cancel     context.CancelFunc
	subscribed chan struct{} // closed when the subscription is first confirmed
	done       chan struct{} // closed when the dispatcher has ended

	mu     sync.Mutex
	ps     *redis.PubSub // nil until the dispatcher made it
	closed bool
}

var _ Store = (*Redis)(nil)

// NewRedis returns the store on rdb under prefix and starts its
// subscription in the background: NewRedis does not wait for Redis, and
// what is put before the subscription is confirmed reaches no watcher of
// this store (they poll). Close stops it; it does not close rdb. A nil log
// is slog.Default().
func NewRedis(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Redis {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Redis{rdb: rdb, prefix: prefix, log: log, cancel: cancel,
		subscribed: make(chan struct{}), done: make(chan struct{})}
	go s.dispatch(ctx)
	return s
}

func (s *Redis) key(id string) string { return s.prefix + "jobstate:{" + id + "}" }
func (s *Redis) channel() string      { return s.prefix + "jobstate" }

// putScript saves a state unless the stored one is final or of a later
// attempt, and publishes it.
//
//	KEYS[1] the job's key
//	ARGV    ttl (ms), attempt, final (1 or 0), the state's JSON, channel, message
var putScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'final', 'attempt')
if cur[1] == '1' or (cur[2] and tonumber(cur[2]) > tonumber(ARGV[2])) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'attempt', ARGV[2], 'final', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`)

// message is what a Put publishes.
type message struct {
	ID    string          `json:"id"`
	State json.RawMessage `json:"state"`
}

// Put implements Store.
func (s *Redis) Put(ctx context.Context, id string, st State, ttl time.Duration) (bool, error) {
	if err := check(st, ttl); err != nil {
		return false, err
	}
	data, err := json.Marshal(st)
	if err != nil {
		return false, err
	}
	msg, err := json.Marshal(message{ID: id, State: data})
	if err != nil {
		return false, err
	}
	final := "0"
	if st.Final {
		final = "1"
	}
	ms := int64((ttl + time.Millisecond - 1) / time.Millisecond) // at least 1
	n, err := putScript.Run(ctx, s.rdb, []string{s.key(id)},
		ms, strconv.Itoa(st.Attempt), final, data, s.channel(), msg).Int()
	return n == 1, err
}

// Get implements Store.
func (s *Redis) Get(ctx context.Context, id string) (State, bool, error) {
	data, err := s.rdb.HGet(ctx, s.key(id), "state").Bytes()
	if errors.Is(err, redis.Nil) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, false, errors.New("jobstate: the stored state of " + id + " is not a state: " + err.Error())
	}
	return st, true, nil
}

// Watch implements Store.
func (s *Redis) Watch(id string) (<-chan State, func()) { return s.watchers.watch(id) }

// Close implements Store: it ends the subscription and waits for the
// dispatcher to end.
func (s *Redis) Close() error {
	s.mu.Lock()
	s.closed = true
	ps := s.ps
	s.mu.Unlock()
	s.cancel()
	if ps != nil {
		_ = ps.Close() // a second Close answers "closed": nothing to report
	}
	<-s.done
	return nil
}

// dispatch subscribes to the channel and hands each message to the
// watchers of its job on this instance, until Close.
//
// The subscription reconnects by itself: go-redis's channel reads again
// after an error, reconnecting and subscribing again (and pings an idle
// connection to find a dead one). A Subscription after the first means the
// connection was lost and is back: that is logged once per outage, since
// what was published meanwhile reached no watcher here.
func (s *Redis) dispatch(ctx context.Context) {
	defer close(s.done)
	ps := s.rdb.Subscribe(ctx, s.channel()) // an error here is retried by the channel
	s.mu.Lock()
	s.ps = ps
	closed := s.closed
	s.mu.Unlock()
	if closed {
		_ = ps.Close()
	}
	subscriptions, malformed := 0, 0
	for m := range ps.ChannelWithSubscriptions() {
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			subscriptions++
			if subscriptions == 1 {
				close(s.subscribed)
				continue
			}
			s.log.Warn("job states: the subscription to Redis was interrupted and is back; "+
				"states put meanwhile reached no watcher here (they poll)",
				"channel", s.channel(), "interruptions", subscriptions-1)
		case *redis.Message:
			id, st, err := decodeMessage(m.Payload)
			if err != nil {
				// Never the payload: it may hold signed URLs.
				level := slog.LevelDebug
				if malformed == 0 {
					level = slog.LevelWarn
				}
				malformed++
				s.log.Log(context.Background(), level, "job states: ignored a malformed message",
					"channel", s.channel(), "bytes", len(m.Payload), "err", err, "malformed", malformed)
				continue
			}
			s.watchers.deliver(id, st)
		}
	}
}

// decodeMessage reads a message of the channel: a job id and its state,
// whose status is valid JSON.
func decodeMessage(payload string) (string, State, error) {
	var m struct {
		ID    string `json:"id"`
		State *State `json:"state"`
	}
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		return "", State{}, err
	}
	switch {
	case m.ID == "":
		return "", State{}, errors.New("no job id")
	case m.State == nil:
		return "", State{}, errors.New("no state")
	case !json.Valid(m.State.Status):
		return "", State{}, errors.New("no status")
	}
	return m.ID, *m.State, nil
}
