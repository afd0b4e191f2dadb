package tcpmore

import (
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// writeMore writes p with MSG_MORE, waiting for room as Write does.
func writeMore(c *net.TCPConn, p []byte) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	written := 0
	var serr error
	err = raw.Write(func(fd uintptr) bool {
		for written < len(p) {
			n, err := syscall.SendmsgN(int(fd), p[written:], nil, nil, syscall.MSG_MORE|syscall.MSG_NOSIGNAL)
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				return false // wait until writable, then go on
			}
			if err != nil {
				serr = err
				return true
			}
			written += n
		}
		return true
	})
	if serr != nil {
		err = serr
	}
	if err != nil {
		return written, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return written, nil
}

func isUnsupported(err error) bool {
	return errors.Is(err, syscall.EOPNOTSUPP)
}

// push sends what the socket holds: setting TCP_NODELAY (again) pushes
// pending data.
func push(c *net.TCPConn) {
	c.SetNoDelay(true)
}

// Unsent is how many bytes the socket holds that it has not sent yet
// (SIOCOUTQNSD): a held head, or data waiting for the peer's window.
func (c *Conn) Unsent() (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	const siocoutqnsd = 0x894b
	var n int32
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, siocoutqnsd, uintptr(unsafe.Pointer(&n)))
	}); err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
