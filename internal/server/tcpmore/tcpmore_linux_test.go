package tcpmore

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pair returns the server end (a Conn, through Listen) and the client end
// of a loopback TCP connection.
func pair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	sc, err := Listen(ln).Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	c, ok := sc.(*Conn)
	if !ok {
		t.Fatalf("accepted a %T, want *Conn", sc)
	}
	return c, client
}

// wrapped stands for the fast lane's handed-over connections.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

func TestHeldHeadJoinsTheFile(t *testing.T) {
	c, client := pair(t)
	file := filepath.Join(t.TempDir(), "f")
	body := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	ctx := WithConn(context.Background(), wrapped{c})
	More(ctx)
	head := "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	if n, err := c.ReadFrom(io.LimitReader(f, int64(len(body)))); err != nil || n != int64(len(body)) {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	Flush(ctx)

	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(head)+len(body))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != head+body {
		t.Error("the client got other bytes than the head and the file")
	}
}

func TestFlushSendsAHeadNothingFollowed(t *testing.T) {
	c, client := pair(t)
	ctx := WithConn(context.Background(), c)
	More(ctx)
	head := "HTTP/1.1 304 Not Modified\r\n\r\n"
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	// Held: the head waits in the socket for a body.
	if n := unsent(t, c); n != len(head) {
		t.Fatalf("%d bytes wait to be sent, want the head's %d", n, len(head))
	}
	Flush(ctx)
	if n := unsent(t, c); n != 0 {
		t.Fatalf("%d bytes still wait after Flush", n)
	}
	buf := make([]byte, len(head))
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != head {
		t.Fatalf("after Flush: %q, %v", buf, err)
	}

	// Only the write right after More is held.
	if _, err := io.WriteString(c, "next"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(client, buf[:4]); err != nil || string(buf[:4]) != "next" {
		t.Fatalf("a later write: %q, %v", buf[:4], err)
	}
}

func TestNoConnNothingToDo(t *testing.T) {
	More(context.Background())
	Flush(context.Background())
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx := WithConn(context.Background(), a)
	More(ctx)
	Flush(ctx)
}

// unsent is how many bytes c's socket holds that it has not sent yet.
func unsent(t *testing.T, c *Conn) int {
	t.Helper()
	n, err := c.Unsent()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
