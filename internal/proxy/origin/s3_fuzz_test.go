package origin

import "testing"

// FuzzParseRanges: whatever the header, the ranges are well formed (a
// suffix, an open range, or a range of at least one byte) and multi says
// there are several.
func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-5", "bytes=10-", "bytes=0-1,5-6", "bytes=-0", "bytes=5-1",
		"items=0-1", "bytes=99999999999999999999-", "bytes= 1 - 2 ,", "bytes=,,,", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ranges, multi := parseRanges(header)
		if multi != (len(ranges) > 1) {
			t.Fatalf("%q: multi %v with %d ranges", header, multi, len(ranges))
		}
		for _, r := range ranges {
			switch {
			case r.Start < 0 && r.Length == 0:
			case r.Start >= 0 && (r.Length == -1 || r.Length > 0):
			default:
				t.Fatalf("%q: range %+v", header, r)
			}
		}
	})
}
