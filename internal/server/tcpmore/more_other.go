//go:build !linux

package tcpmore

import (
	"errors"
	"net"
)

func writeMore(*net.TCPConn, []byte) (int, error) { return 0, errors.ErrUnsupported }

func isUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }

func push(*net.TCPConn) {}

// Unsent is not known on this system.
func (c *Conn) Unsent() (int, error) { return 0, errors.ErrUnsupported }
