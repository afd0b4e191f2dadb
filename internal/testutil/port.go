package testutil

import (
	"net"
	"testing"
)

// FreePort is a loopback TCP port nothing listened on a moment ago, for a
// server a test starts as another process.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
