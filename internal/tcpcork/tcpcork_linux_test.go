package tcpcork

import (
	"context"
	"net"
	"syscall"
	"testing"
)

func corked(t *testing.T, c *net.TCPConn) bool {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK) })
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v != 0
}

// wrapped stands for the fast lane's handed-over connections.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

func TestHoldCorksTheRequestsConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tc := nc.(*net.TCPConn)

	for name, c := range map[string]net.Conn{"plain": tc, "wrapped": wrapped{tc}} {
		ctx := WithConn(context.Background(), c)
		release := Hold(ctx)
		if !corked(t, tc) {
			t.Errorf("%s: not corked while held", name)
		}
		release()
		if corked(t, tc) {
			t.Errorf("%s: still corked after release", name)
		}
	}

	// No connection, or one that is not TCP: nothing to do, nothing fails.
	Hold(context.Background())()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	Hold(WithConn(context.Background(), a))()
}
