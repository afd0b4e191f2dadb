package upload_test

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

// A client that disconnects in the middle of the file part leaves nothing
// behind: the staged part is removed and nothing reaches the bucket.
func TestDroppedConnectionLeavesNothing(t *testing.T) {
	g := startGateway(t, nil)
	staging := filepath.Join(g.DataDir, "uploads", "staging")
	ct, body := multipartBody(signed(map[string]string{"public_id": "dropped"}, testSecret), "big.bin", bytes.Repeat([]byte("x"), 1<<20))
	conn, err := net.Dial("tcp", g.URL[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v1_1/%s/raw/upload HTTP/1.1\r\nHost: gateway\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		testCloud, ct, len(body))
	if _, err := conn.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "the file part is being staged", func() bool { return len(files(t, staging)) > 0 })
	conn.Close()
	testutil.Eventually(t, 20*time.Second, "the staged part is removed", func() bool { return len(files(t, staging)) == 0 })
	if left := files(t, g.BucketDir); len(left) != 0 {
		t.Errorf("bucket holds %v", left)
	}
}
