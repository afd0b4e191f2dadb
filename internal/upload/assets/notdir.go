package assets

import (
	"errors"
	"os"
	"syscall"
)

// isNotDir reports ENOTDIR: a public id "a/b" when "a" is a file.
func isNotDir(pe *os.PathError) bool { return errors.Is(pe.Err, syscall.ENOTDIR) }

// isConflict reports the errors of a path that is a file where a directory
// is needed, or the reverse.
func isConflict(err error) bool {
	return errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.EISDIR)
}
