package upload

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// An abandoned chunked upload is removed once it has been idle for longer
// than ChunkTimeout, measured with the clock the sweep is given.
func TestSweepChunks(t *testing.T) {
	s := &Service{WorkDir: t.TempDir(), ChunkTimeout: time.Hour}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dir := filepath.Join(s.chunkDir(), "abandoned")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "data"), []byte("part"), 0o600)
	os.Chtimes(dir, t0, t0)

	tests := []struct {
		at          time.Time
		wantRemoved int
		wantExists  bool
	}{
		{t0.Add(59 * time.Minute), 0, true},
		{t0.Add(time.Hour), 0, true},
		{t0.Add(61 * time.Minute), 1, false},
	}
	for _, tc := range tests {
		if got := s.SweepChunks(tc.at); got != tc.wantRemoved {
			t.Errorf("sweep at %v: removed %d, want %d", tc.at.Sub(t0), got, tc.wantRemoved)
		}
		_, err := os.Stat(dir)
		if exists := err == nil; exists != tc.wantExists {
			t.Errorf("after sweep at %v: exists %v, want %v", tc.at.Sub(t0), exists, tc.wantExists)
		}
	}
}
