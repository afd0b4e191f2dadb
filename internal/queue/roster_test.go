package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// rosterFactory makes an empty roster, and a function that opens another
// view of the same one (another instance on the same Redis prefix).
type rosterFactory func(t *testing.T) (Roster, func() Roster)

var rosterBackends = map[string]rosterFactory{
	"memory": func(t *testing.T) (Roster, func() Roster) {
		r := NewMemoryRoster()
		return r, func() Roster { return r } // one process, one roster
	},
	"redis": func(t *testing.T) (Roster, func() Roster) {
		rdb, prefix := redistest.Client(t)
		return NewRedisRoster(rdb, prefix), func() Roster {
			other, _ := redistest.Client(t) // another connection pool
			return NewRedisRoster(other, prefix)
		}
	},
}

// TestRosterConformance runs every roster test on both rosters.
func TestRosterConformance(t *testing.T) {
	for name, newRoster := range rosterBackends {
		t.Run(name, func(t *testing.T) { runRosterSuite(t, newRoster) })
	}
}

// TestRosterOnRedisCluster runs the suite on a three-node Redis Cluster:
// the hash shares the queue's slot.
func TestRosterOnRedisCluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := cluster.Client(t)
	runRosterSuite(t, func(t *testing.T) (Roster, func() Roster) {
		prefix := redistest.Prefix(t, rdb)
		return NewRedisRoster(rdb, prefix), func() Roster { return NewRedisRoster(cluster.Client(t), prefix) }
	})
}

func runRosterSuite(t *testing.T, newRoster rosterFactory) {
	for name, test := range map[string]func(*testing.T, rosterFactory){
		"AnnounceAndLive":      testRosterAnnounceAndLive,
		"Expiry":               testRosterExpiry,
		"Leave":                testRosterLeave,
		"ReannounceUpdates":    testRosterReannounceUpdates,
		"TwoRostersOnePrefix":  testRosterTwoRostersOnePrefix,
		"RefusesBadAnnouncing": testRosterRefusesBadAnnouncing,
		"Concurrent":           testRosterConcurrent,
	} {
		t.Run(name, func(t *testing.T) { test(t, newRoster) })
	}
}

func sampleWorker(id string, families ...string) Worker {
	return Worker{
		ID: id, Host: "host-" + id, Families: families,
		Formats: json.RawMessage(`[{"operation":"convert","input_format":"docx","output_format":"pdf","engine":"libreoffice","engine_version":"7.5"}]`),
		Slots:   4, Running: 1,
	}
}

func mustLive(t *testing.T, r Roster) []Worker {
	t.Helper()
	ws, err := r.Live(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func workerIDs(ws []Worker) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.ID)
	}
	return out
}

func mustAnnounce(t *testing.T, r Roster, w Worker, ttl time.Duration) {
	t.Helper()
	if err := r.Announce(context.Background(), w, ttl); err != nil {
		t.Fatal(err)
	}
}

// sameWorker compares all but Seen.
func sameWorker(a, b Worker) bool {
	return a.ID == b.ID && a.Host == b.Host && slices.Equal(a.Families, b.Families) &&
		string(a.Formats) == string(b.Formats) && a.Slots == b.Slots && a.Running == b.Running
}

func testRosterAnnounceAndLive(t *testing.T, newRoster rosterFactory) {
	r, _ := newRoster(t)
	if ws := mustLive(t, r); len(ws) != 0 {
		t.Fatalf("a new roster lists %v", ws)
	}
	before := time.Now()
	b, a := sampleWorker("b-2", "libreoffice"), sampleWorker("a-1", "chromium", "ffmpeg")
	a.Formats = nil // a worker may send no formats
	mustAnnounce(t, r, b, time.Minute)
	mustAnnounce(t, r, a, time.Minute)
	after := time.Now()
	ws := mustLive(t, r)
	if got := workerIDs(ws); !slices.Equal(got, []string{"a-1", "b-2"}) {
		t.Fatalf("got %q, want sorted by ID", got)
	}
	for i, want := range []Worker{a, b} {
		if !sameWorker(ws[i], want) {
			t.Errorf("got %+v\nwant %+v", ws[i], want)
		}
		// The clock of the roster (Redis's, here on this machine) set it.
		if s := ws[i].Seen; s.Before(before.Add(-time.Second)) || s.After(after.Add(time.Second)) {
			t.Errorf("%s seen at %v, announced between %v and %v", ws[i].ID, s, before, after)
		}
	}
	// What Live returns is the caller's.
	ws[1].Families[0] = "changed"
	if got := mustLive(t, r); got[1].Families[0] != "libreoffice" {
		t.Errorf("changing a listed worker changed the roster: %v", got[1].Families)
	}
}

func testRosterExpiry(t *testing.T, newRoster rosterFactory) {
	r, _ := newRoster(t)
	mustAnnounce(t, r, sampleWorker("short"), 200*time.Millisecond)
	mustAnnounce(t, r, sampleWorker("long"), time.Minute)
	if got := workerIDs(mustLive(t, r)); !slices.Equal(got, []string{"long", "short"}) {
		t.Fatalf("got %q", got)
	}
	testutil.Eventually(t, 5*time.Second, "the short announcement expires", func() bool {
		return slices.Equal(workerIDs(mustLive(t, r)), []string{"long"})
	})
	// An expired worker that announces again is back.
	mustAnnounce(t, r, sampleWorker("short"), time.Minute)
	if got := workerIDs(mustLive(t, r)); !slices.Equal(got, []string{"long", "short"}) {
		t.Fatalf("got %q after announcing again", got)
	}
}

func testRosterLeave(t *testing.T, newRoster rosterFactory) {
	r, _ := newRoster(t)
	ctx := context.Background()
	mustAnnounce(t, r, sampleWorker("a"), time.Minute)
	mustAnnounce(t, r, sampleWorker("b"), time.Minute)
	if err := r.Leave(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := workerIDs(mustLive(t, r)); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("got %q after a left", got)
	}
	if err := r.Leave(ctx, "never-announced"); err != nil {
		t.Errorf("leaving twice or unknown: %v", err)
	}
	if err := r.Leave(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := mustLive(t, r); len(got) != 0 {
		t.Fatalf("got %v after all left", got)
	}
}

func testRosterReannounceUpdates(t *testing.T, newRoster rosterFactory) {
	r, _ := newRoster(t)
	w := sampleWorker("w", "ffmpeg")
	mustAnnounce(t, r, w, 300*time.Millisecond)
	first := mustLive(t, r)[0].Seen
	time.Sleep(20 * time.Millisecond)
	w.Running, w.Families = 3, []string{"ffmpeg", "libvips"}
	w.Formats = json.RawMessage(`[]`)
	mustAnnounce(t, r, w, time.Minute) // also extends the announcement
	ws := mustLive(t, r)
	if len(ws) != 1 || !sameWorker(ws[0], w) {
		t.Fatalf("got %+v, want one %+v", ws, w)
	}
	if !ws[0].Seen.After(first) {
		t.Errorf("seen %v, then %v", first, ws[0].Seen)
	}
	time.Sleep(400 * time.Millisecond)
	if got := workerIDs(mustLive(t, r)); !slices.Equal(got, []string{"w"}) {
		t.Errorf("got %q once the first announcement would have expired", got)
	}
}

func testRosterTwoRostersOnePrefix(t *testing.T, newRoster rosterFactory) {
	r1, another := newRoster(t)
	r2 := another()
	mustAnnounce(t, r1, sampleWorker("one", "chromium"), time.Minute)
	mustAnnounce(t, r2, sampleWorker("two", "libreoffice"), time.Minute)
	for i, r := range []Roster{r1, r2} {
		if got := workerIDs(mustLive(t, r)); !slices.Equal(got, []string{"one", "two"}) {
			t.Errorf("roster %d sees %q", i+1, got)
		}
	}
	if err := r2.Leave(context.Background(), "one"); err != nil {
		t.Fatal(err)
	}
	if got := workerIDs(mustLive(t, r1)); !slices.Equal(got, []string{"two"}) {
		t.Errorf("roster 1 sees %q after roster 2 removed one", got)
	}
}

func testRosterRefusesBadAnnouncing(t *testing.T, newRoster rosterFactory) {
	r, _ := newRoster(t)
	ctx := context.Background()
	if err := r.Announce(ctx, sampleWorker(""), time.Minute); err == nil {
		t.Error("announced a worker without an ID")
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := r.Announce(ctx, sampleWorker("w"), ttl); err == nil {
			t.Errorf("announced for %v", ttl)
		}
	}
	if got := mustLive(t, r); len(got) != 0 {
		t.Errorf("got %v after refused announcements", got)
	}
}

func testRosterConcurrent(t *testing.T, newRoster rosterFactory) {
	r, _ := newRoster(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 8 {
		wg.Go(func() {
			w := sampleWorker(fmt.Sprintf("w%d", i), "ffmpeg")
			for n := range 10 {
				w.Running = n
				if err := r.Announce(ctx, w, time.Minute); err != nil {
					errs <- err
					return
				}
				if _, err := r.Live(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ws := mustLive(t, r)
	if len(ws) != 8 {
		t.Fatalf("got %d workers, want 8", len(ws))
	}
	for _, w := range ws {
		if w.Running != 9 {
			t.Errorf("%s: running %d, want its last announcement's 9", w.ID, w.Running)
		}
	}
}

// The layout other tools may read: one hash in the queue's slot, a field
// per worker, values that start with their expiry; Live deletes expired
// fields and the hash expires with its longest announcement.
func TestRedisRosterLayout(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	r := NewRedisRoster(rdb, prefix)
	key := prefix + "{jobs}:workers"
	mustAnnounce(t, r, sampleWorker("gone"), 100*time.Millisecond)
	mustAnnounce(t, r, sampleWorker("here"), time.Minute)
	v, err := rdb.HGet(ctx, key, "here").Result()
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(v), &rec); err != nil || !strings.HasPrefix(v, `{"expires":`) || rec["id"] != "here" {
		t.Fatalf("stored %s (%v)", v, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl < 50*time.Second || ttl > time.Minute {
		t.Errorf("hash expires in %v, want its longest announcement's minute", ttl)
	}
	if err := rdb.HSet(ctx, key, "garbage", "not json").Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if got := workerIDs(mustLive(t, r)); !slices.Equal(got, []string{"here"}) {
		t.Fatalf("got %q", got)
	}
	if fields := rdb.HKeys(ctx, key).Val(); !slices.Equal(fields, []string{"here"}) {
		t.Errorf("fields left: %q, want the expired and unreadable ones deleted", fields)
	}
	// The last worker leaving leaves no key behind.
	if err := r.Leave(ctx, "here"); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Errorf("the hash outlived its workers")
	}
}
