package signedurl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/server/fastlane"
)

func TestJobMemoIsBounded(t *testing.T) {
	var jm jobMemo
	for i := 0; i < memoEntries+10; i++ {
		jm.put(fmt.Sprint(i), &checkedJob{hash: fmt.Sprint(i)})
	}
	if n := jm.m.len(); n > memoEntries {
		t.Fatalf("memo holds %d entries, want at most %d", n, memoEntries)
	}
	if c := jm.get(fmt.Sprint(memoEntries + 9)); c == nil || c.hash != fmt.Sprint(memoEntries+9) {
		t.Fatalf("latest entry: got %+v", c)
	}
	big := strings.Repeat("a", memoMaxBytes+1)
	jm.put(big, &checkedJob{})
	if jm.get(big) != nil {
		t.Fatal("a job larger than memoMaxBytes was kept")
	}
}

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
