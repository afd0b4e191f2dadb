// Package testutil holds small helpers for the tests of every package;
// redistest, beneath it, gives them a real Redis.
package testutil

import (
	"testing"
	"time"
)

// pollInterval is short: what tests wait for is usually there within a few
// milliseconds, and a test should not take longer than its subject.
const pollInterval = 5 * time.Millisecond

// Eventually polls cond until it holds, and fails the test, naming what it
// waited for, when it still does not after within. It is for states that
// give no signal of their own (a change travelling between instances, a
// file appearing or going); where there is a channel to wait on, wait on
// that instead. cond runs on the test's goroutine, so it may call t.Fatal.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	Within(t, within, what, cond)
}

// Within is Eventually that returns how long cond took to hold, for tests
// that report how fast something propagated.
func Within(t testing.TB, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(pollInterval)
	}
	return time.Since(start)
}
