package jobstate

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// Watchers hear again after Redis was killed and started again: the
// subscription comes back by itself, and says so once in the log.
func TestWatchAfterRedisRestart(t *testing.T) {
	srv := redistest.StartServer(t, redistest.ServerOptions{})
	opts, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	logs := &testutil.LogBuffer{}
	s := NewRedis(rdb, "p:", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer s.Close()
	<-s.subscribed
	states, cancel := s.Watch("j")
	defer cancel()
	put(t, s, "j", progress(10, 1))
	receive(t, states, "before the restart")

	srv.Kill()
	ctx, cancelPut := context.WithTimeout(context.Background(), 2*time.Second)
	if _, err := s.Put(ctx, "j", progress(20, 1), time.Minute); err == nil {
		t.Fatal("a put succeeded with Redis down")
	}
	cancelPut()
	srv.Start()
	// A put made before the subscription is back reaches nobody: put
	// again until one arrives.
	p := 20
	took := testutil.Within(t, 10*time.Second, "a state put after the restart reaches the watcher", func() bool {
		p++
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if ok, err := s.Put(ctx, "j", progress(p, 1), time.Minute); err != nil || !ok {
			return false // Redis not answering yet
		}
		select {
		case <-states:
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	})
	t.Logf("watchers heard again %v after Redis answered", took.Round(time.Millisecond))
	testutil.Eventually(t, 5*time.Second, "the interruption is logged", func() bool {
		return strings.Contains(logs.String(), "interrupted and is back")
	})
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings for one outage:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("a status was logged:\n%s", logs)
	}

	// Close ends the dispatcher even while Redis is down.
	srv.Kill()
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close with Redis down did not return within 10s")
	}
}

// Close ends every goroutine a store started, the client's own for the
// subscription included.
func TestCloseEndsGoroutines(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	rdb.Ping(context.Background()) // the client's own goroutines, if any, start now
	before := runtime.NumGoroutine()
	var stores []*Redis
	for range 3 {
		s := NewRedis(rdb, prefix, slog.New(slog.DiscardHandler))
		<-s.subscribed
		s.Watch("j")
		stores = append(stores, s)
	}
	put(t, stores[0], "j", progress(1, 1))
	if runtime.NumGoroutine() <= before {
		t.Fatal("the stores run no goroutine: the count proves nothing")
	}
	for _, s := range stores {
		s.Close()
	}
	testutil.Eventually(t, 5*time.Second, "the goroutines end", func() bool {
		return runtime.NumGoroutine() <= before
	})
	// A store closed before it subscribed ends too.
	s := NewRedis(rdb, prefix, slog.New(slog.DiscardHandler))
	s.Close()
	testutil.Eventually(t, 5*time.Second, "the goroutines of a store closed at once end", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// Messages on the channel that are not states are ignored, with one
// warning that shows none of them.
func TestMalformedMessagesIgnored(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	logs := &testutil.LogBuffer{}
	s := NewRedis(rdb, prefix, slog.New(slog.NewTextHandler(logs, nil)))
	defer s.Close()
	<-s.subscribed
	states, cancel := s.Watch("j")
	defer cancel()
	ctx := context.Background()
	for _, m := range []string{"garbage " + secret, `{"id":"j"}`, `{"id":"","state":{"status":{}}}`, `{"id":"j","state":{"attempt":"` + secret + `"}}`} {
		if err := rdb.Publish(ctx, s.channel(), m).Err(); err != nil {
			t.Fatal(err)
		}
	}
	put(t, s, "j", progress(10, 1))
	if got := receive(t, states, "a state after malformed messages"); !same(got, progress(10, 1)) {
		t.Fatalf("got %s", got.Status)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || strings.Contains(logs.String(), secret) {
		t.Errorf("want one warning without the message:\n%s", logs)
	}
}

// decodeMessage never panics, and what it accepts is a message Put could
// have published.
func FuzzDecodeMessage(f *testing.F) {
	f.Add(`{"id":"j","state":{"status":{"percent":10},"attempt":1}}`)
	f.Add(`{"id":"j","state":{"status":{},"final":true,"attempt":2}}`)
	f.Add(`{"id":"j","state":{"status":null}}`)
	f.Add(`{"id":"j","state":null}`)
	f.Add(`{"id":1}`)
	f.Add(`[]`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, payload string) {
		id, st, err := decodeMessage(payload)
		if err != nil {
			return
		}
		if id == "" || !json.Valid(st.Status) {
			t.Fatalf("accepted %q as id %q, status %q", payload, id, st.Status)
		}
		data, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("accepted state does not encode: %v", err)
		}
		msg, _ := json.Marshal(message{ID: id, State: data})
		id2, st2, err := decodeMessage(string(msg))
		if err != nil || id2 != id || st2.Final != st.Final || st2.Attempt != st.Attempt {
			t.Fatalf("re-encoded %q decodes as %q %+v, %v", msg, id2, st2, err)
		}
	})
}
