package assets

import (
	"errors"
	"os"
	"syscall"
)

// errCopy asks the caller to copy src instead of renaming it.
var errCopy = errors.New("copy instead")

// renameInto renames the file at path src to name inside the directory
// dir, by the directory's descriptor: the rename cannot land anywhere but
// in that directory. Across file systems it returns errCopy.
func renameInto(src string, dir *os.File, name string) error {
	sc, err := dir.SyscallConn()
	if err != nil {
		return err
	}
	var rerr error
	if err := sc.Control(func(fd uintptr) {
		rerr = syscall.Renameat(atFDCWD, src, int(fd), name)
	}); err != nil {
		return err
	}
	if errors.Is(rerr, syscall.EXDEV) {
		return errCopy
	}
	if rerr != nil {
		return &os.LinkError{Op: "renameat", Old: src, New: name, Err: rerr}
	}
	return nil
}

// atFDCWD is Linux's AT_FDCWD (src relative to the working directory),
// which package syscall does not export.
const atFDCWD = -0x64
