package uploadsig

import (
	"strconv"
	"time"
)

// MaxSkew is how far the signed timestamp may be from the server's clock in
// either direction. Cloudinary refuses requests older than one hour.
const MaxSkew = time.Hour

// reportedLayout is how Cloudinary prints the reported time in its errors.
const reportedLayout = "2006-01-02 15:04:05 -0700"

// CheckTimestamp applies the freshness rule to the signed timestamp (Unix
// seconds) against now. A request more than MaxSkew old is stale.
//
// A timestamp more than MaxSkew in the future is refused too: the window
// exists to bound how long a captured signed request can be replayed, and a
// far-future timestamp would make it replayable until that date. One hour
// of tolerance is ample for client clocks that run fast.
func CheckTimestamp(ts string, now time.Time) error {
	if ts == "" {
		return missingParam("timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return badRequest("Invalid timestamp - '" + ts + "' is not a Unix time in seconds")
	}
	// Compare against bounds rather than subtracting, so extreme values
	// cannot overflow.
	skew := int64(MaxSkew / time.Second)
	nowSec := now.Unix()
	switch {
	case sec < nowSec-skew:
		return badRequest("Stale request - reported time is " +
			formatReported(sec) + " which is more than 1 hour ago")
	case sec > nowSec+skew:
		return badRequest("Invalid request - reported time is " +
			formatReported(sec) + " which is more than 1 hour in the future")
	}
	return nil
}

func formatReported(sec int64) string {
	return time.Unix(sec, 0).UTC().Format(reportedLayout)
}
