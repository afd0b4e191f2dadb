package objects

import (
	"fmt"
	"io/fs"
	"syscall"
)

// FileETag is the entity tag of a file in a directory, the same whoever
// serves it (Dir, or bucket delivery's file origin), so that a tag one
// answered works in another's If-Match. It is strong: size, modification
// time and inode change whenever the bytes can have changed (a rewrite in
// place keeps the inode but moves the mtime; an atomic rename keeps
// neither).
func FileETag(st fs.FileInfo) string {
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fmt.Sprintf(`"%x-%x-%x"`, st.Size(), st.ModTime().UnixNano(), ino)
}
