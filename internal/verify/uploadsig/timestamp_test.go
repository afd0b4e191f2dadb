package uploadsig

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestCheckTimestamp(t *testing.T) {
	// 2015-06-20 12:59:41 UTC, the example in Cloudinary's error message.
	const reported = 1434805181
	at := func(offset time.Duration) time.Time { return time.Unix(reported, 0).Add(offset) }

	tests := []struct {
		name     string
		ts       string
		now      time.Time
		wantKind Kind // zero when the timestamp is accepted
		wantMsg  string
	}{
		{"fresh", strconv.Itoa(reported), at(0), 0, ""},
		{"59 minutes old", strconv.Itoa(reported), at(59 * time.Minute), 0, ""},
		{"exactly one hour old", strconv.Itoa(reported), at(time.Hour), 0, ""},
		{
			"one second past the hour", strconv.Itoa(reported), at(time.Hour + time.Second), BadRequest,
			"Stale request - reported time is 2015-06-20 12:59:41 +0000 which is more than 1 hour ago",
		},
		{
			"reported time printed in UTC whatever the server zone", strconv.Itoa(reported),
			at(2 * time.Hour).In(time.FixedZone("CEST", 2*3600)), BadRequest,
			"Stale request - reported time is 2015-06-20 12:59:41 +0000 which is more than 1 hour ago",
		},
		{"exactly one hour ahead", strconv.Itoa(reported), at(-time.Hour), 0, ""},
		{
			"more than one hour ahead", strconv.Itoa(reported), at(-time.Hour - time.Second), BadRequest,
			"Invalid request - reported time is 2015-06-20 12:59:41 +0000 which is more than 1 hour in the future",
		},
		{"missing", "", at(0), BadRequest, "Missing required parameter - timestamp"},
		{"not an integer", "12.5", at(0), BadRequest, "Invalid timestamp - '12.5' is not a Unix time in seconds"},
		{"milliseconds overflow int64", "99999999999999999999", at(0), BadRequest,
			"Invalid timestamp - '99999999999999999999' is not a Unix time in seconds"},
		{"minimum int64 is stale, not an overflow", "-9223372036854775808", at(0), BadRequest, ""},
		{"maximum int64 is in the future, not an overflow", "9223372036854775807", at(0), BadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTimestamp(tc.ts, tc.now)
			if tc.wantKind == 0 {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got error %v, want *Error", err)
			}
			if e.Kind != tc.wantKind {
				t.Errorf("kind: got %v, want %v", e.Kind, tc.wantKind)
			}
			if tc.wantMsg != "" && e.Message != tc.wantMsg {
				t.Errorf("message: got %q, want %q", e.Message, tc.wantMsg)
			}
		})
	}
}
