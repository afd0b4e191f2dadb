//go:build !linux

package assets

import (
	"errors"
	"os"
)

// errCopy asks the caller to copy src instead of renaming it.
var errCopy = errors.New("copy instead")

// renameInto copies on systems without renameat in package syscall: a
// copy written through the root is as confined as a rename by descriptor.
func renameInto(src string, dir *os.File, name string) error { return errCopy }
