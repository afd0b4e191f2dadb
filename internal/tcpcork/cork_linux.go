package tcpcork

import "syscall"

func setCork(raw syscall.RawConn, on bool) error {
	v := 0
	if on {
		v = 1
	}
	var serr error
	err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, v)
	})
	if err != nil {
		return err
	}
	return serr
}
