package signedurl

import (
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/fastlane"
)

func TestAnswerMemo(t *testing.T) {
	var am answerMemo
	var f fastlane.Fields
	f.Add("Location", "https://example.com/out.pdf")
	now := time.Unix(1_800_000_000, 0)
	am.put("/b?job=x&s=1", 7, now, f)

	if _, ok := am.get("/b?job=x&s=1", 7, now.Add(AnswerMemoTTL-time.Nanosecond)); !ok {
		t.Error("fresh answer not found")
	}
	if _, ok := am.get("/b?job=x&s=1", 7, now.Add(AnswerMemoTTL)); ok {
		t.Error("answer used after its time")
	}
	if _, ok := am.get("/b?job=x&s=1", 8, now); ok {
		t.Error("answer used after the bases changed")
	}
	if _, ok := am.get("/b?job=x&s=2", 7, now); ok {
		t.Error("answer used for another target")
	}

	// Bounded: long targets are not kept, and a full memo starts over.
	am.put("/b?job="+strings.Repeat("x", memoMaxBytes), 7, now, f)
	if am.m.len() != 1 {
		t.Errorf("%d entries, want 1", am.m.len())
	}
	for i := range memoEntries + 1 {
		am.put("/b?n="+time.Duration(i).String(), 7, now, f)
	}
	if am.m.len() > memoEntries {
		t.Errorf("%d entries, more than %d", am.m.len(), memoEntries)
	}
}
