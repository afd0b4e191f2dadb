package filestore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, false)
}

func TestSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, "buckets", "films", []byte(`{"name":"films"}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, err := s2.Get(ctx, "buckets", "films")
	if err != nil || string(got) != `{"name":"films"}` {
		t.Fatalf("after reopen: got %s, %v", got, err)
	}
}

func TestSecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(dir)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open: got %v, want an in-use error", err)
	}
}

func TestNoTemporaryFilesLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 5; i++ {
		if err := s.Put(context.Background(), "things", "a", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "records"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestRefusesCorruptFileInsteadOfLosingIt(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "records"), 0o700)
	os.WriteFile(filepath.Join(dir, "records", "things.json"), []byte(`{not json`), 0o600)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(context.Background(), "things", "a", []byte(`{}`)); err == nil {
		t.Fatal("Put over a corrupt file succeeded; it would have dropped its records")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "records", "things.json"))
	if string(data) != `{not json` {
		t.Fatalf("corrupt file was overwritten: %q", data)
	}
}
