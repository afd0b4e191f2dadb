// Package assets owns how uploaded assets live in a bucket directory: where
// each asset's file goes, its sidecar metadata record, the validation of
// public ids, and the atomic writes that keep a failed upload from leaving
// anything half-written.
//
// Layout inside the bucket's directory (dir):
//
//	<public_id>[.<format>]                 assets of type "upload"
//	.authenticated/<public_id>[.<format>]  assets of type "authenticated"
//	.private/<public_id>[.<format>]        assets of type "private"
//	.meta/<type>/<public_id>.json          the sidecar record of each asset
//
// Sidecar files rather than the record store: assets can be many, the record
// store keeps whole kinds in memory, and a sidecar lives and dies with the
// file it describes (a file:// bucket is local to its machine anyway).
// Public ids never have a segment starting with ".", so they cannot reach
// the hidden directories.
package assets

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// Dir is one bucket directory seen as an asset store.
type Dir string

func (d Dir) typeDir(typ string) string {
	if typ == Upload {
		return string(d)
	}
	return filepath.Join(string(d), "."+typ)
}

// FilePath is where a's file lives.
func (d Dir) FilePath(a Asset) string {
	return filepath.Join(d.typeDir(a.Type), filepath.FromSlash(a.FileName()))
}

func (d Dir) metaPath(typ, publicID string) string {
	return filepath.Join(string(d), ".meta", typ, filepath.FromSlash(publicID)+".json")
}

// Lookup reads the record of (typ, publicID); ok is false when none exists.
func (d Dir) Lookup(typ, publicID string) (a Asset, ok bool, err error) {
	if !ValidType(typ) || ValidatePublicID(publicID) != nil {
		return Asset{}, false, nil
	}
	data, err := os.ReadFile(d.metaPath(typ, publicID))
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, errNotDir) {
		return Asset{}, false, nil
	}
	if err != nil {
		// A path component that is a file, not a directory, also means
		// "no such asset".
		var pe *os.PathError
		if errors.As(err, &pe) && isNotDir(pe) {
			return Asset{}, false, nil
		}
		return Asset{}, false, fmt.Errorf("read asset record: %w", err)
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return Asset{}, false, fmt.Errorf("decode asset record %s: %w", publicID, err)
	}
	return a, true, nil
}

var errNotDir = errors.New("not a directory")

// ErrConflict means the asset's file or record would replace a folder, or
// its folder is already a file: public ids "a" and "a/b" cannot both be
// stored, as on any file system.
var ErrConflict = errors.New("public id conflicts with an existing folder or file")

func conflict(err error) error {
	var pe *os.PathError
	var le *os.LinkError
	if (errors.As(err, &pe) && isConflict(pe.Err)) || (errors.As(err, &le) && isConflict(le.Err)) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// Store moves the finished file at src into place for a and then writes its
// record. src must be a file this process may move (it is renamed when on
// the same file system, else copied). The file is written under a temporary
// name in its final directory and renamed, so readers never see a part; if
// the record cannot be written the file is removed again. A replaced asset
// whose file name changed (another format) has its old file removed.
func (d Dir) Store(src string, a Asset, old *Asset) error {
	final := d.FilePath(a)
	if st, err := os.Stat(final); err == nil && st.IsDir() {
		return ErrConflict
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("create asset directory: %w", conflict(err))
	}
	tmp, err := placeBeside(src, final)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("move asset into place: %w", conflict(err))
	}
	if err := d.writeRecord(a); err != nil {
		os.Remove(final)
		return err
	}
	if old != nil {
		if p := d.FilePath(*old); p != final {
			os.Remove(p)
		}
	}
	return nil
}

// placeBeside moves or copies src to a temporary name in dst's directory.
func placeBeside(src, dst string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(dst), ".upload-*")
	if err != nil {
		return "", fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	if err := os.Rename(src, tmp); err == nil {
		f.Close()
		return tmp, nil
	}
	in, err := os.Open(src)
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("open staged file: %w", err)
	}
	defer in.Close()
	if _, err := f.ReadFrom(in); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("copy staged file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write asset: %w", err)
	}
	return tmp, nil
}

func (d Dir) writeRecord(a Asset) error {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode asset record: %w", err)
	}
	p := d.metaPath(a.Type, a.PublicID)
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return ErrConflict
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create record directory: %w", conflict(err))
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".record-*")
	if err != nil {
		return fmt.Errorf("create record: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("write record: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write record: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("move record into place: %w", conflict(err))
	}
	return nil
}

// Delete removes a's record and file; the record goes first so the asset
// is never listed without its file.
func (d Dir) Delete(a Asset) error {
	if err := os.Remove(d.metaPath(a.Type, a.PublicID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove asset record: %w", err)
	}
	if err := os.Remove(d.FilePath(a)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove asset file: %w", err)
	}
	return nil
}
