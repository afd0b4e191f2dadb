package origin

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/signedgate/gateway/internal/apierr"
)

// fileOrigin serves the objects of one local directory.
type fileOrigin struct{ dir string }

func newFileOrigin(dir string) (http.Handler, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("file origin directory %q is not absolute", dir)
	}
	return &fileOrigin{dir: dir}, nil
}

func (o *fileOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	apierr.HandlerFunc(o.serve).ServeHTTP(w, r)
}

// Codes of the object errors; stable for clients.
const (
	CodeObjectNotFound      = "OBJECT_NOT_FOUND"
	CodeRangeNotSatisfiable = "RANGE_NOT_SATISFIABLE"
	CodePreconditionFailed  = "PRECONDITION_FAILED"
)

func objectNotFound(objectPath string) *apierr.Error {
	return apierr.New(http.StatusNotFound, CodeObjectNotFound, "object %q does not exist in this bucket", objectPath)
}

func methodNotAllowed(r *http.Request) *apierr.Error {
	return apierr.New(http.StatusMethodNotAllowed, apierr.CodeMethodNotAllowed,
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
	setSafetyHeaders(h)
	// ServeContent answers Range (206, multipart for several ranges, 416),
	// HEAD and the conditional headers against the ETag set above, and its
	// io.Copy from an *os.File reaches the connection's sendfile through
	// the ReaderFrom of every writer on the way.
	http.ServeContent(&statusWriter{ResponseWriter: w, r: r}, r, "", st.ModTime(), f)
	return nil
}

// open resolves objectPath inside the directory and opens it, refusing
// anything that is not a regular file inside the directory.
func (o *fileOrigin) open(objectPath string) (*os.File, os.FileInfo, error) {
	// The caller cleaned the path; clean it again so that this function
	// alone is enough to keep reads inside the directory.
	clean := path.Clean("/" + objectPath)
	if clean == "/" || strings.ContainsRune(clean, 0) {
		return nil, nil, objectNotFound(objectPath)
	}
	root, err := filepath.EvalSymlinks(o.dir)
	if err != nil {
		return nil, nil, apierr.Wrap(err, http.StatusServiceUnavailable, apierr.CodeUnavailable,
			"the storage of this bucket is unavailable")
	}
	full, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(clean)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil, objectNotFound(objectPath)
		}
		return nil, nil, apierr.Wrap(err, http.StatusNotFound, CodeObjectNotFound,
			fmt.Sprintf("object %q does not exist in this bucket", objectPath))
	}
	// A symlink inside the bucket may point anywhere on the host; only
	// targets inside the bucket's directory are served.
	rel, err := filepath.Rel(root, full)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, nil, apierr.Wrap(fmt.Errorf("%s resolves outside %s", objectPath, root),
			http.StatusNotFound, CodeObjectNotFound, fmt.Sprintf("object %q does not exist in this bucket", objectPath))
	}
	// Stat before opening: opening a FIFO would block until a writer came.
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() {
		return nil, nil, objectNotFound(objectPath)
	}
	// os.Root opens without following any symlink out of the directory, so
	// a link swapped in after the check above cannot escape either.
	dir, err := os.OpenRoot(root)
	if err != nil {
		return nil, nil, apierr.Wrap(err, http.StatusServiceUnavailable, apierr.CodeUnavailable,
			"the storage of this bucket is unavailable")
	}
	defer dir.Close()
	f, err := dir.Open(rel)
	if err != nil {
		return nil, nil, apierr.Wrap(err, http.StatusNotFound, CodeObjectNotFound,
			fmt.Sprintf("object %q does not exist in this bucket", objectPath))
	}
	st, err = f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, objectNotFound(objectPath)
	}
	return f, st, nil
}

// etag is strong: size, modification time and inode change whenever the
// bytes can have changed (a rewrite in place keeps the inode but moves the
// mtime; an atomic rename keeps neither).
func etag(st os.FileInfo) string {
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	return fmt.Sprintf(`"%x-%x-%x"`, st.Size(), st.ModTime().UnixNano(), ino)
}
