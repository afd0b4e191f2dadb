package assets

import (
	"errors"
	"syscall"
)

// isConflict reports the errors of a path that is a file where a directory
// is needed, or the reverse.
func isConflict(err error) bool {
	return errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.EISDIR)
}
