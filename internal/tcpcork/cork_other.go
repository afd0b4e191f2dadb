//go:build !linux

package tcpcork

import (
	"errors"
	"syscall"
)

func setCork(syscall.RawConn, bool) error { return errors.ErrUnsupported }
