package uploadsig

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"
)

func TestCheckTimestamp(t *testing.T) {
	// 2015-06-20 12:59:41 UTC, the example in Cloudinary's error message.
	const reported = 1434805181
	at := func(offset time.Duration) time.Time { return time.Unix(reported, 0).Add(offset) }

	tests := []struct {
		name       string
		ts         string
		now        time.Time
		wantStatus int // zero when the timestamp is accepted
		wantMsg    string
	}{
		{"fresh", strconv.Itoa(reported), at(0), 0, ""},
		{"59 minutes old", strconv.Itoa(reported), at(59 * time.Minute), 0, ""},
		{"exactly one hour old", strconv.Itoa(reported), at(time.Hour), 0, ""},
		{
			"one second past the hour", strconv.Itoa(reported), at(time.Hour + time.Second), http.StatusBadRequest,
			"Stale request - reported time is 2015-06-20 12:59:41 +0000 which is more than 1 hour ago",
		},
		{
			"reported time printed in UTC whatever the server zone", strconv.Itoa(reported),
			at(2 * time.Hour).In(time.FixedZone("CEST", 2*3600)), http.StatusBadRequest,
			"Stale request - reported time is 2015-06-20 12:59:41 +0000 which is more than 1 hour ago",
		},
		{"exactly one hour ahead", strconv.Itoa(reported), at(-time.Hour), 0, ""},
		{
			"more than one hour ahead", strconv.Itoa(reported), at(-time.Hour - time.Second), http.StatusBadRequest,
			"Invalid request - reported time is 2015-06-20 12:59:41 +0000 which is more than 1 hour in the future",
		},
		{"missing", "", at(0), http.StatusBadRequest, "Missing required parameter - timestamp"},
		{"not an integer", "12.5", at(0), http.StatusBadRequest, "Invalid timestamp - '12.5' is not a Unix time in seconds"},
		{"milliseconds overflow int64", "99999999999999999999", at(0), http.StatusBadRequest,
			"Invalid timestamp - '99999999999999999999' is not a Unix time in seconds"},
		{"minimum int64 is stale, not an overflow", "-9223372036854775808", at(0), http.StatusBadRequest, ""},
		{"maximum int64 is in the future, not an overflow", "9223372036854775807", at(0), http.StatusBadRequest, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTimestamp(tc.ts, tc.now)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				return
			}
			var e *verify.Refusal
			if !errors.As(err, &e) {
				t.Fatalf("got error %v, want *verify.Refusal", err)
			}
			if e.Status() != tc.wantStatus {
				t.Errorf("status: got %d, want %d", e.Status(), tc.wantStatus)
			}
			if tc.wantMsg != "" && e.Error() != tc.wantMsg {
				t.Errorf("message: got %q, want %q", e.Error(), tc.wantMsg)
			}
		})
	}
}
