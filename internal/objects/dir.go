package objects

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"mime"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Dir is a Store in a local directory: key "a/b.mp4" is the file
// <root>/a/b.mp4. Every access goes through an os.Root, so no key and no
// symlink in the directory leads outside it. Dir keeps bytes only: an
// object's content type comes from its key's extension, and its metadata
// is not kept.
type Dir struct{ Root string }

var _ Store = Dir{}

// tmpPrefix marks files being written; List does not show them.
const tmpPrefix = ".objects-tmp-"

func (d Dir) open() (*os.Root, error) {
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return nil, err
	}
	return os.OpenRoot(d.Root)
}

func (d Dir) info(key string, st fs.FileInfo) Info {
	return Info{
		Key:         key,
		Size:        st.Size(),
		ModTime:     st.ModTime(),
		ETag:        FileETag(st),
		ContentType: mime.TypeByExtension(path.Ext(key)),
	}
}

// dirError maps the file system's errors onto the package's.
func dirError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, os.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case strings.Contains(fmt.Sprint(err), "path escapes from parent"), strings.Contains(fmt.Sprint(err), "not a directory"):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Get implements Store.
func (d Dir) Get(_ context.Context, key string, opts ReadOptions) (*Reader, error) {
	if !ValidKey(key) {
		return nil, ErrInvalidKey
	}
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, dirError(err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, dirError(err)
	}
	info := d.info(key, st)
	if err := checkConditions(opts, info.ETag, info.ModTime); err != nil {
		f.Close()
		return nil, err
	}
	rd := &Reader{ReadCloser: f, Info: info}
	if opts.Range != nil {
		rg, ok := opts.Range.Resolve(info.Size)
		if !ok {
			f.Close()
			return nil, &RangeError{Size: info.Size}
		}
		rd.ReadCloser = sectionCloser{io.NewSectionReader(f, rg.Start, rg.Length), f}
		rd.Range = &rg
	}
	return rd, nil
}

type sectionCloser struct {
	*io.SectionReader
	io.Closer
}

// Stat implements Store.
func (d Dir) Stat(_ context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrInvalidKey
	}
	r, err := d.open()
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	st, err := r.Stat(filepath.FromSlash(key))
	if err != nil {
		return Info{}, dirError(err)
	}
	if !st.Mode().IsRegular() {
		return Info{}, fmt.Errorf("%w: %s is a directory", ErrNotFound, key)
	}
	return d.info(key, st), nil
}

// Put implements Store: the body goes to a temporary file beside the key's,
// renamed into place once complete. IfNoneMatch is atomic (a hard link
// takes the name only if it is free); IfMatch is checked just before the
// rename, which a writer in another process could slip in between.
func (d Dir) Put(_ context.Context, key string, body io.Reader, _ int64, opts WriteOptions) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrInvalidKey
	}
	if err := opts.check(); err != nil {
		return Info{}, err
	}
	r, err := d.open()
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	name := filepath.FromSlash(key)
	if dir := filepath.Dir(name); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return Info{}, dirError(err)
		}
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(name), tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return Info{}, dirError(err)
	}
	_, err = io.Copy(f, body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.place(r, tmp, name, key, opts.Conditions)
	}
	if err != nil {
		r.Remove(tmp)
		return Info{}, err
	}
	st, err := r.Stat(name)
	if err != nil {
		return Info{}, err
	}
	return d.info(key, st), nil
}

// place renames the written file tmp to name if cond holds.
func (d Dir) place(r *os.Root, tmp, name, key string, cond Conditions) error {
	switch {
	case cond.IfNoneMatch == "*":
		err := r.Link(tmp, name)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s exists", ErrPreconditionFailed, key)
		}
		if err == nil {
			r.Remove(tmp)
			return nil
		}
		// No hard links here: check, then rename.
		if _, err := r.Lstat(name); err == nil {
			return fmt.Errorf("%w: %s exists", ErrPreconditionFailed, key)
		}
	case cond.IfMatch != "":
		st, err := r.Stat(name)
		if err != nil || !st.Mode().IsRegular() || !etagMatches(cond.IfMatch, d.info(key, st).ETag) {
			return fmt.Errorf("%w: %s is not the version named", ErrPreconditionFailed, key)
		}
	}
	return r.Rename(tmp, name)
}

// Delete implements Store.
func (d Dir) Delete(_ context.Context, key string) error {
	if !ValidKey(key) {
		return ErrInvalidKey
	}
	r, err := d.open()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Remove(filepath.FromSlash(key)); err != nil && !errors.Is(dirError(err), ErrNotFound) {
		return err
	}
	return nil
}

// List implements Store.
func (d Dir) List(_ context.Context, prefix string) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		r, err := d.open()
		if err != nil {
			yield(Info{}, err)
			return
		}
		defer r.Close()
		var found []Info
		err = fs.WalkDir(r.FS(), ".", func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !e.Type().IsRegular() || strings.HasPrefix(e.Name(), tmpPrefix) {
				return nil
			}
			if !strings.HasPrefix(p, prefix) {
				return nil
			}
			st, err := e.Info()
			if err != nil {
				return nil // removed meanwhile
			}
			found = append(found, d.info(p, st))
			return nil
		})
		if err != nil {
			yield(Info{}, err)
			return
		}
		slices.SortFunc(found, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
		for _, info := range found {
			if !yield(info, nil) {
				return
			}
		}
	}
}
