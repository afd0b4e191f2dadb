package jobstate

import (
	"testing"

	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// TestMain fails the package when its tests leave keys on the shared Redis.
func TestMain(m *testing.M) { redistest.Main(m) }
