package s3api_test

import (
	"testing"

	"github.com/signedgate/gateway/internal/testutil/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }
