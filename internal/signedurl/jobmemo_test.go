package signedurl

import (
	"fmt"
	"strings"
	"testing"
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
