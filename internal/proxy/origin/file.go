package origin

import (
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/server"
)

// fileOrigin serves the objects of one local directory.
type fileOrigin struct {
	dir   string
	check func(dir string) error // nil: none
	held  atomic.Pointer[heldRoot]
}

func newFileOrigin(dir string, check func(string) error) (http.Handler, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("file origin directory %q is not absolute", dir)
	}
	return &fileOrigin{dir: dir, check: check}, nil
}

func (o *fileOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setNoSniff(w.Header())
	server.HandlerFunc(o.serve).ServeHTTP(w, r)
}

// Codes of the object errors; stable for clients.
const (
	CodeObjectNotFound      = "OBJECT_NOT_FOUND"
	CodeRangeNotSatisfiable = "RANGE_NOT_SATISFIABLE"
	CodePreconditionFailed  = "PRECONDITION_FAILED"
)

func objectNotFound(objectPath string) *server.Error {
	return server.Errorf(http.StatusNotFound, CodeObjectNotFound, "object %q does not exist in this bucket", objectPath)
}

func methodNotAllowed(r *http.Request) *server.Error {
	return server.Errorf(http.StatusMethodNotAllowed, server.CodeMethodNotAllowed,
		"method %s is not allowed on bucket objects; use GET or HEAD", r.Method).
		WithHeader("Allow", "GET, HEAD")
}

func (o *fileOrigin) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed(r)
	}
	objectPath := r.URL.Path
	f, st, err := o.open(objectPath)
	if err != nil {
		return err
	}
	defer f.Close()

	h := w.Header()
	h.Set("Content-Type", ContentType(objectPath))
	h.Set("ETag", etag(st))
	h.Set("Accept-Ranges", "bytes")
	sandboxActive(h)
	if rh := r.Header.Get("Range"); rh != "" {
		r = withRange(r, rh, st.Size())
	}
	// ServeContent answers Range (206, multipart for several ranges, 416),
	// HEAD and the conditional headers against the ETag set above, and its
	// io.Copy from an *os.File reaches the connection's sendfile through
	// the ReaderFrom of every writer on the way.
	http.ServeContent(&statusWriter{ResponseWriter: w, r: r}, r, "", st.ModTime(), f)
	return nil
}

// withRange returns r with its Range header normalised for an object of
// size bytes (see normalizeRange); r itself is left as it is.
func withRange(r *http.Request, header string, size int64) *http.Request {
	out, keep := normalizeRange(header, size)
	r2 := new(http.Request)
	*r2 = *r
	r2.Header = r.Header.Clone()
	if keep {
		r2.Header.Set("Range", out)
	} else {
		r2.Header.Del("Range")
	}
	return r2
}

// open opens objectPath inside the directory, refusing anything that is
// not a regular file inside it. os.Root does the confinement: symlinks are
// followed, but never out of the directory, and a link swapped in at any
// moment cannot escape either.
func (o *fileOrigin) open(objectPath string) (*os.File, os.FileInfo, error) {
	// The caller cleaned the path; clean it again so that this function
	// alone is enough to keep reads inside the directory.
	clean := path.Clean("/" + objectPath)
	if clean == "/" || strings.ContainsRune(clean, 0) {
		return nil, nil, objectNotFound(objectPath)
	}
	root, err := o.root()
	if err != nil {
		return nil, nil, server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
			"the storage of this bucket is unavailable")
	}
	f, err := openNonBlocking(root, filepath.FromSlash(clean[1:]))
	if err != nil {
		// os.Root refuses every absolute symlink, even one that points
		// inside the bucket: resolve the path by hand, and open what it
		// resolves to if that is inside.
		if rel, ok := o.resolveInside(clean); ok {
			f, err = openNonBlocking(root, rel)
		}
	}
	if err != nil {
		// Missing, a directory on the way that is a file, or a symlink
		// out of the bucket: the object does not exist here.
		return nil, nil, server.WrapError(err, http.StatusNotFound, CodeObjectNotFound,
			fmt.Sprintf("object %q does not exist in this bucket", objectPath))
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, objectNotFound(objectPath)
	}
	return f, st, nil
}

// openNonBlocking opens name for reading. O_NONBLOCK: opening a FIFO must
// not wait for a writer; it changes nothing for a regular file.
func openNonBlocking(root *os.Root, name string) (*os.File, error) {
	return root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// resolveInside resolves every symlink of clean (a cleaned, rooted object
// path) and returns the result relative to the directory, if it is inside.
func (o *fileOrigin) resolveInside(clean string) (string, bool) {
	dir, err := filepath.EvalSymlinks(o.dir)
	if err != nil {
		return "", false
	}
	full, err := filepath.EvalSymlinks(filepath.Join(dir, filepath.FromSlash(clean)))
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(dir, full)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

// root returns the bucket's directory, opened once and kept while the
// directory at its path stays the same one: a directory swapped in under
// the same path (a deploy that moves a symlink, say) is opened afresh.
func (o *fileOrigin) root() (*os.Root, error) {
	st, err := os.Stat(o.dir)
	if err != nil {
		return nil, err
	}
	id := fileID(st)
	if h := o.held.Load(); h != nil && h.id == id {
		return h.root, nil
	}
	if o.check != nil {
		// The bucket was checked when it was made, but the directory at
		// its path may since have become another one (a symlink moved to
		// the data directory, a bucket made before the check existed).
		real, err := filepath.EvalSymlinks(o.dir)
		if err != nil {
			return nil, err
		}
		if err := o.check(real); err != nil {
			return nil, fmt.Errorf("file origin %s refused: %w", o.dir, err)
		}
		if st, err = os.Stat(real); err != nil {
			return nil, err
		}
		id = fileID(st)
	}
	root, err := os.OpenRoot(o.dir)
	if err != nil {
		return nil, err
	}
	rst, err := root.Stat(".")
	if err != nil {
		root.Close()
		return nil, err
	}
	if o.check != nil && fileID(rst) != id {
		// Swapped between the check and the open: not the directory that
		// was checked. The next request checks again.
		root.Close()
		return nil, fmt.Errorf("file origin %s changed while it was opened", o.dir)
	}
	// The directory may have changed between the stat and the open: take
	// the identity of what was opened.
	id = fileID(rst)
	// A replaced root is left to the garbage collector (os.Root closes
	// itself then): requests may still be opening files through it.
	o.held.Store(&heldRoot{root: root, id: id})
	return root, nil
}

type heldRoot struct {
	root *os.Root
	id   [2]uint64 // device and inode
}

func fileID(st os.FileInfo) [2]uint64 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return [2]uint64{uint64(sys.Dev), sys.Ino}
	}
	return [2]uint64{}
}

// etag is objects.FileETag: the S3 endpoint writes and lists the same
// files through objects.Dir, and a tag one answered must work in the
// other's conditions.
func etag(st os.FileInfo) string { return objects.FileETag(st) }
