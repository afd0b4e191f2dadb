// Package storetest is the conformance suite every store.Store
// implementation must pass.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/store"
)

// Factory opens a store. Two calls with the same t must give two handles on
// the same shared state when the implementation is shared (Shared = true).
type Factory func(t *testing.T) store.Store

// Run runs the suite. shared says whether two handles from open see each
// other's writes (true for Redis; false for the single-process file store).
func Run(t *testing.T, open Factory, shared bool) {
	t.Run("CRUD", func(t *testing.T) { testCRUD(t, open(t)) })
	t.Run("CreateIsExclusive", func(t *testing.T) { testCreateExclusive(t, open(t)) })
	t.Run("ConcurrentCreate", func(t *testing.T) { testConcurrentCreate(t, open(t)) })
	t.Run("NotifiesOwnChanges", func(t *testing.T) { testNotifiesOwn(t, open(t)) })
	t.Run("CollectionSeesChanges", func(t *testing.T) { testCollection(t, open(t), nil) })
	if shared {
		t.Run("CollectionSeesOtherInstance", func(t *testing.T) {
			a := open(t)
			b := open(t)
			testCollection(t, a, b)
		})
	}
}

var ctx = context.Background()

func testCRUD(t *testing.T, s store.Store) {
	if _, err := s.Get(ctx, "things", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get missing: got %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, "things", "a", []byte(`{"v":1}`)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "things", "b", []byte(`{"v":2}`)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "others", "a", []byte(`{"v":3}`)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := s.Get(ctx, "things", "a")
	if err != nil || string(got) != `{"v":1}` {
		t.Fatalf("Get: got %s, %v; want {\"v\":1}", got, err)
	}
	if err := s.Put(ctx, "things", "a", []byte(`{"v":10}`)); err != nil {
		t.Fatalf("Put replace: %v", err)
	}
	all, err := s.List(ctx, "things")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(all) != 2 || string(all["a"]) != `{"v":10}` || string(all["b"]) != `{"v":2}` {
		t.Fatalf("List: got %q", all)
	}
	if err := s.Delete(ctx, "things", "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete(ctx, "things", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete twice: got %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "things", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get deleted: got %v, want ErrNotFound", err)
	}
	if got, _ := s.Get(ctx, "others", "a"); string(got) != `{"v":3}` {
		t.Fatalf("kinds are not separate: got %s", got)
	}
	empty, err := s.List(ctx, "nothing")
	if err != nil || len(empty) != 0 {
		t.Fatalf("List of empty kind: got %v, %v", empty, err)
	}
}

func testCreateExclusive(t *testing.T, s store.Store) {
	if err := s.Create(ctx, "things", "x", []byte(`1`)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.Create(ctx, "things", "x", []byte(`2`)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("Create again: got %v, want ErrExists", err)
	}
	if got, _ := s.Get(ctx, "things", "x"); string(got) != "1" {
		t.Fatalf("second Create overwrote: got %s", got)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Create(ctx, "things", "race", fmt.Appendf(nil, "%d", i))
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, store.ErrExists) {
				t.Errorf("Create: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("concurrent Create: %d winners, want 1", wins)
	}
}

func testNotifiesOwn(t *testing.T, s store.Store) {
	got := make(chan store.Change, 10)
	cancel := s.Subscribe(func(c store.Change) {
		if c.Kind != "" {
			got <- c
		}
	})
	defer cancel()
	if err := s.Put(ctx, "things", "n", []byte(`1`)); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		if c.Kind != "things" || c.ID != "n" {
			t.Fatalf("change: got %+v, want things/n", c)
		}
	case <-time.After(time.Second):
		t.Fatal("no change notification within 1s")
	}
}

type thing struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// testCollection checks that a cached view on reader follows writes made
// through writer (the same store when reader is nil) within one second.
func testCollection(t *testing.T, writer, reader store.Store) {
	if reader == nil {
		reader = writer
	}
	w := store.NewCollection[thing](writer, "things")
	defer w.Close()
	r := store.NewCollection[thing](reader, "things")
	defer r.Close()

	if _, err := r.Get(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get before create: got %v, want ErrNotFound", err)
	}
	if err := w.Create(ctx, "c", thing{Name: "c", N: 1}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "create", func() bool { v, err := r.Get(ctx, "c"); return err == nil && v.N == 1 })
	if err := w.Put(ctx, "c", thing{Name: "c", N: 2}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "update", func() bool { v, err := r.Get(ctx, "c"); return err == nil && v.N == 2 })
	list, err := r.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "c" {
		t.Fatalf("List: got %+v, %v", list, err)
	}
	if err := w.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delete", func() bool { _, err := r.Get(ctx, "c"); return errors.Is(err, store.ErrNotFound) })
}

// waitFor polls cond for up to the one second every instance is promised.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not seen within 1s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
