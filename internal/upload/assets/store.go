package assets

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Store moves the finished file at src into place for a and then writes its
// record; old is the asset's current record when it is being replaced. src
// is consumed: renamed into the bucket when on the same file system, else
// copied and removed.
//
// The file is written under a temporary name in its final directory and
// then moved to its name, so readers never see a part; if the record cannot
// be written the file is removed again. A new asset (and a replaced one
// whose file name changed, being in another format) never replaces a file
// that is there: that name belongs to another asset or to no asset at all
// (ErrConflict). A replaced asset whose file name changed has its old file
// removed. A path that leads out of the bucket through a symlink is
// ErrOutside, with nothing written anywhere.
func (d Dir) Store(_ context.Context, src string, a Asset, old *Asset) error {
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return fmt.Errorf("create bucket directory: %w", err)
	}
	r, err := d.open()
	if err != nil {
		return fmt.Errorf("open bucket: %w", err)
	}
	defer r.Close()
	final := fileName(a)
	if st, err := r.Lstat(final); err == nil && st.IsDir() {
		return ErrConflict
	}
	dir := filepath.Dir(final)
	if err := r.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create asset directory: %w", classify(r, err))
	}
	tmp, err := placeInto(r, dir, src)
	if err != nil {
		return classify(r, err)
	}
	if old != nil && fileName(*old) == final {
		err = r.Rename(tmp, final) // the asset's own file: replace it
	} else {
		err = placeNew(r, tmp, final)
	}
	if err != nil {
		r.Remove(tmp)
		return fmt.Errorf("move asset into place: %w", classify(r, err))
	}
	if err := writeRecord(r, a); err != nil {
		r.Remove(final)
		return err
	}
	if old != nil {
		if p := fileName(*old); p != final {
			r.Remove(p)
		}
	}
	return nil
}

// placeNew gives tmp the name final only if nothing has that name. A hard
// link does it atomically: another writer cannot slip a file in between a
// check and the move. File systems without hard links get the check and
// the rename (a window only writers outside this process could use; within
// it, writers of one asset hold its lock).
func placeNew(r *os.Root, tmp, final string) error {
	err := r.Link(tmp, final)
	switch {
	case err == nil:
		r.Remove(tmp)
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s exists", ErrConflict, final)
	case !noHardLinks(err):
		return err
	}
	if _, err := r.Lstat(final); err == nil {
		return fmt.Errorf("%w: %s exists", ErrConflict, final)
	}
	return r.Rename(tmp, final)
}

// noHardLinks reports the errors of a file system that cannot hard-link.
func noHardLinks(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EMLINK)
}

// tempName is a fresh hidden name: public ids never start a segment with
// ".", so it cannot be an asset's, and it is not guessable.
func tempName(prefix string) string {
	return prefix + rand.Text()
}

// moveInto is renameInto; tests replace it to take the copying path.
var moveInto = renameInto

// placeInto moves or copies src to a temporary name in dir (relative to
// the root) and returns that name, relative to the root.
func placeInto(r *os.Root, dir, src string) (string, error) {
	name := tempName(".upload-")
	rel := filepath.Join(dir, name)
	df, err := r.Open(dir)
	if err != nil {
		return "", err
	}
	// The directory was opened through the root, so a rename into it by
	// its descriptor lands inside the bucket whatever its path does next.
	err = moveInto(src, df, name)
	df.Close()
	if err == nil {
		return rel, nil
	}
	if !errors.Is(err, errCopy) {
		return "", fmt.Errorf("move staged file: %w", err)
	}
	in, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("open staged file: %w", err)
	}
	defer in.Close()
	f, err := r.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Remove(rel)
		return "", fmt.Errorf("copy staged file: %w", err)
	}
	os.Remove(src)
	return rel, nil
}

func writeRecord(r *os.Root, a Asset) error {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode asset record: %w", err)
	}
	p := metaName(a.Type, a.PublicID)
	if st, err := r.Lstat(p); err == nil && st.IsDir() {
		return ErrConflict
	}
	dir := filepath.Dir(p)
	if err := r.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create record directory: %w", classify(r, err))
	}
	tmp := filepath.Join(dir, tempName(".record-"))
	f, err := r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create record: %w", classify(r, err))
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Remove(tmp)
		return fmt.Errorf("write record: %w", err)
	}
	// A record is always the asset's own: replacing it is the point.
	if err := r.Rename(tmp, p); err != nil {
		r.Remove(tmp)
		return fmt.Errorf("move record into place: %w", classify(r, err))
	}
	return nil
}
