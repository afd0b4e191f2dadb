package testutil

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// fatalTB records Fatalf and ends its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fatalTB on a goroutine of its own and returns what
// it failed with, if anything.
func run(fn func(tb testing.TB)) string {
	f := &fatalTB{}
	done := make(chan struct{})
	go func() { defer close(done); fn(f) }()
	<-done
	return f.msg
}

func TestEventuallyFailsNamingWhatItWaitedFor(t *testing.T) {
	start := time.Now()
	msg := run(func(tb testing.TB) {
		Eventually(tb, 30*time.Millisecond, "the moon turns blue", func() bool { return false })
	})
	if msg != "the moon turns blue: not within 30ms" {
		t.Fatalf("failed with %q", msg)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Fatalf("gave up after %v", took)
	}
}

func TestWithinReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	var took time.Duration
	msg := run(func(tb testing.TB) {
		took = Within(tb, 10*time.Second, "three calls", func() bool { calls++; return calls == 3 })
	})
	if msg != "" || calls != 3 || took <= 0 || took > 5*time.Second {
		t.Fatalf("failed with %q after %d calls, took %v", msg, calls, took)
	}
	if msg := run(func(tb testing.TB) { Eventually(tb, 0, "at once", func() bool { return true }) }); msg != "" {
		t.Fatalf("a condition that holds at once failed: %q", msg)
	}
}
