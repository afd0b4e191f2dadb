package assets

import (
	"errors"
	"os"
	"syscall"
)

// isNotDir reports ENOTDIR: a public id "a/b" when "a" is a file.
func isNotDir(pe *os.PathError) bool { return errors.Is(pe.Err, syscall.ENOTDIR) }
