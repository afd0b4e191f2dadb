// Package assets owns how uploaded assets live in a bucket: where each
// asset's file goes, its sidecar metadata record, the validation of public
// ids, and the writes that keep a failed upload from leaving anything
// half-written. A bucket with a file:// origin keeps its assets in its
// directory (Dir); one with an s3:// origin in its S3 bucket, under the
// origin's prefix (S3). Stores picks the one of a bucket.
//
// The layout is the same in both, relative to the directory or the prefix:
//
//	<public_id>[.<format>]                 assets of type "upload"
//	.authenticated/<public_id>[.<format>]  assets of type "authenticated"
//	.private/<public_id>[.<format>]        assets of type "private"
//	.meta/<type>/<public_id>.json          the sidecar record of each asset
//
// Sidecar records rather than the record store: assets can be many, the
// record store keeps whole kinds in memory, and a sidecar lives and dies
// with the file it describes. In S3 the record is a small JSON object of
// its own, not metadata on the file: a lookup knows the public id but not
// the format that completes the file's name, and reads one object at a
// known key. Public ids never have a segment starting with ".", so they
// cannot reach the hidden directories (nor the .uploads/ work area of
// chunked uploads in S3).
//
// In a directory, every access goes through an os.Root opened on it: a
// symlink in the bucket (a folder or a file an operator or another tool
// put there) is followed only while it stays inside, so no write, rename,
// read or delete of an asset can reach a file outside the bucket.
package assets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// Types of assets.
const (
	Upload        = "upload"
	Authenticated = "authenticated"
	Private       = "private"
)

// ValidType reports whether t is an asset type.
func ValidType(t string) bool { return t == Upload || t == Authenticated || t == Private }

// Asset is the sidecar record of one stored asset.
type Asset struct {
	AssetID          string    `json:"asset_id"`
	PublicID         string    `json:"public_id"`
	Version          int64     `json:"version"`
	VersionID        string    `json:"version_id"`
	Type             string    `json:"type"`
	ResourceType     string    `json:"resource_type"`
	Format           string    `json:"format"`
	Bytes            int64     `json:"bytes"`
	Width            int       `json:"width,omitempty"`
	Height           int       `json:"height,omitempty"`
	ETag             string    `json:"etag"`
	MIME             string    `json:"mime"`
	CreatedAt        time.Time `json:"created_at"`
	Tags             []string  `json:"tags"`
	Context          string    `json:"context,omitempty"`
	OriginalFilename string    `json:"original_filename"`
	// StorageETag is the ETag S3 gave the asset's file when it was
	// written (empty in a directory, and in records written there): reads
	// insist on that version of the file, so a file being replaced is
	// never served under its predecessor's record.
	StorageETag string `json:"storage_etag,omitempty"`
}

// FileName is the asset's name relative to its type's directory.
func (a Asset) FileName() string {
	if a.Format == "" {
		return a.PublicID
	}
	return a.PublicID + "." + a.Format
}

// MaxPublicIDLength bounds public ids (Cloudinary allows 255 characters).
const MaxPublicIDLength = 255

// ValidatePublicID explains what is wrong with id, or returns nil.
func ValidatePublicID(id string) error {
	switch {
	case id == "":
		return errors.New("public_id is empty")
	case len(id) > MaxPublicIDLength:
		return fmt.Errorf("public_id is longer than %d bytes", MaxPublicIDLength)
	case !utf8.ValidString(id):
		return errors.New("public_id is not valid UTF-8")
	case strings.HasPrefix(id, "/"):
		return errors.New("public_id must not start with /")
	case strings.ContainsRune(id, '\\'):
		return errors.New(`public_id must not contain \`)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return errors.New("public_id must not contain control characters")
		}
	}
	for seg := range strings.SplitSeq(id, "/") {
		switch {
		case seg == "":
			return errors.New("public_id must not contain empty path segments")
		case seg == "..":
			return errors.New("public_id must not contain ..")
		case strings.HasPrefix(seg, "."):
			return errors.New("public_id segments must not start with .")
		}
	}
	return nil
}

// Store is where a bucket's assets live.
type Store interface {
	// Lookup reads the record of (typ, publicID); ok is false when none
	// exists.
	Lookup(ctx context.Context, typ, publicID string) (a Asset, ok bool, err error)
	// Store moves the finished file at src (a local file, consumed) into
	// place for a and then writes its record; old is the asset's current
	// record when it is being replaced. A new asset (and a replaced one
	// whose file name changed) never takes a file name that is taken
	// (ErrConflict); a replaced asset whose file name changed has its old
	// file removed.
	Store(ctx context.Context, src string, a Asset, old *Asset) error
	// Open opens a's file for reading; a missing file is fs.ErrNotExist.
	Open(ctx context.Context, a Asset) (File, error)
	// Delete removes a's record and then its file; the record goes first
	// so the asset is never found without its file.
	Delete(ctx context.Context, a Asset) error
}

// File is an asset's file being read; ranges are read by seeking. A file
// whose bytes come over the network may also have a method
//
//	Prepare(n int64) error
//
// that starts reading the next n bytes from where it stands, so that a
// reader who can say how much it will read (delivery, once it knows its
// range) fails before it answers, and reads no more than that.
type File interface {
	io.ReadSeekCloser
}

// Dir is one bucket directory seen as an asset store.
type Dir string

var _ Store = Dir("")

// open opens the bucket directory as the root every access goes through.
func (d Dir) open() (*os.Root, error) { return os.OpenRoot(string(d)) }

// typeDir is the directory of typ's files, relative to the bucket.
func typeDir(typ string) string {
	if typ == Upload {
		return "."
	}
	return "." + typ
}

// fileName is where a's file lives, relative to the bucket.
func fileName(a Asset) string {
	return filepath.Join(typeDir(a.Type), filepath.FromSlash(a.FileName()))
}

// metaName is where the record of (typ, publicID) lives, relative to the bucket.
func metaName(typ, publicID string) string {
	return filepath.Join(".meta", typ, filepath.FromSlash(publicID)+".json")
}

// ErrOutside means a path of the asset leads out of the bucket through a
// symlink; nothing was written, moved or removed there.
var ErrOutside = errors.New("path leads outside the bucket")

// ErrConflict means the asset's file or record would replace a folder, its
// folder is already a file (public ids "a" and "a/b" cannot both be stored,
// as on any file system), or its file name is taken by a file that is not
// its own: another asset's (raw "a.png" and image "a" in format png share
// it) or one put in the bucket by other means.
var ErrConflict = errors.New("public id conflicts with an existing folder or file")

// isEscape reports os.Root's refusal of a path that leaves the root. The
// refusal has no exported sentinel; an absolute name is refused with it
// before any file system access, so that is where it is taken from.
func isEscape(r *os.Root, err error) bool {
	_, probe := r.Lstat("/")
	var pe *os.PathError
	return err != nil && errors.As(probe, &pe) && errors.Is(err, pe.Err)
}

// classify maps an os.Root error to ErrOutside or ErrConflict when it is
// one of those, keeping the original for the log.
func classify(r *os.Root, err error) error {
	switch {
	case err == nil:
		return nil
	case isEscape(r, err):
		return fmt.Errorf("%w: %v", ErrOutside, err)
	case isConflict(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// absent reports the errors that mean "no such asset here": missing, a
// path component that is a file ("a/b" when "a" is a file), or a path that
// leaves the bucket.
func absent(r *os.Root, err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || isEscape(r, err)
}

// Lookup reads the record of (typ, publicID); ok is false when none exists.
func (d Dir) Lookup(_ context.Context, typ, publicID string) (a Asset, ok bool, err error) {
	if !ValidType(typ) || ValidatePublicID(publicID) != nil {
		return Asset{}, false, nil
	}
	r, err := d.open()
	if errors.Is(err, fs.ErrNotExist) {
		return Asset{}, false, nil
	}
	if err != nil {
		return Asset{}, false, fmt.Errorf("open bucket: %w", err)
	}
	defer r.Close()
	data, err := r.ReadFile(metaName(typ, publicID))
	if absent(r, err) {
		return Asset{}, false, nil
	}
	if err != nil {
		return Asset{}, false, fmt.Errorf("read asset record: %w", err)
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return Asset{}, false, fmt.Errorf("decode asset record %s: %w", publicID, err)
	}
	return a, true, nil
}

// Open opens a's file for reading. A file that is missing, not a regular
// file, or reached through a symlink out of the bucket is fs.ErrNotExist.
func (d Dir) Open(_ context.Context, a Asset) (File, error) {
	r, err := d.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// O_NONBLOCK: opening a FIFO must not wait for a writer; it changes
	// nothing for a regular file.
	f, err := r.OpenFile(fileName(a), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if absent(r, err) {
		return nil, fs.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// Delete removes a's record and file; the record goes first so the asset
// is never listed without its file. A file that is already gone, or whose
// path leaves the bucket, leaves nothing to remove in the bucket.
func (d Dir) Delete(_ context.Context, a Asset) error {
	r, err := d.open()
	if err != nil {
		return fmt.Errorf("open bucket: %w", err)
	}
	defer r.Close()
	if err := r.Remove(metaName(a.Type, a.PublicID)); err != nil && !absent(r, err) {
		return fmt.Errorf("remove asset record: %w", err)
	}
	if err := r.Remove(fileName(a)); err != nil && !absent(r, err) {
		return fmt.Errorf("remove asset file: %w", err)
	}
	return nil
}
