package assets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/signedgate/gateway/internal/objects"
)

// S3 is a bucket's assets in S3, under its origin's prefix, in the layout
// Dir uses. Every gateway instance that shares the bucket reads the same
// records: nothing about an asset is kept on an instance.
//
// A write puts the file first and then its record, as Dir does: the record
// names the file's S3 ETag (StorageETag), and reads of the file insist on
// that version. A new asset's file is created only where no object is
// (If-None-Match, on servers that honour it, after a check that covers
// those that do not), so it never replaces a file that is not its own. S3
// has no folders, so public ids "a" and "a/b" can both exist there (a
// server that keeps objects as files refuses the second: ErrConflict, as
// in a directory).
type S3 struct{ obj *objects.S3 }

var _ Store = (*S3)(nil)

// NewS3 returns the asset store in obj.
func NewS3(obj *objects.S3) *S3 { return &S3{obj: obj} }

// Objects is the object store the assets are in, for the work area of
// chunked uploads (keys under WorkPrefix).
func (s *S3) Objects() *objects.S3 { return s.obj }

// WorkPrefix starts the keys of chunked uploads in progress; no asset's
// file or record starts with it.
const WorkPrefix = ".uploads/"

// fileKey is the key of a's file, relative to the prefix.
func fileKey(a Asset) string {
	if a.Type == Upload {
		return a.FileName()
	}
	return "." + a.Type + "/" + a.FileName()
}

// metaKey is the key of the record of (typ, publicID).
func metaKey(typ, publicID string) string {
	return ".meta/" + typ + "/" + publicID + ".json"
}

// maxRecord bounds the size of a record read back: they are a few hundred
// bytes, tags and context included.
const maxRecord = 1 << 20

// Lookup implements Store with one read of the record.
func (s *S3) Lookup(ctx context.Context, typ, publicID string) (Asset, bool, error) {
	if !ValidType(typ) || ValidatePublicID(publicID) != nil {
		return Asset{}, false, nil
	}
	r, err := s.obj.Get(ctx, metaKey(typ, publicID), objects.ReadOptions{})
	if errors.Is(err, objects.ErrNotFound) || errors.Is(err, objects.ErrInvalidKey) {
		return Asset{}, false, nil
	}
	if err != nil {
		return Asset{}, false, fmt.Errorf("read asset record: %w", err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxRecord))
	if err != nil {
		return Asset{}, false, fmt.Errorf("read asset record: %w", err)
	}
	var a Asset
	if err := json.Unmarshal(data, &a); err != nil {
		return Asset{}, false, fmt.Errorf("decode asset record %s: %w", publicID, err)
	}
	return a, true, nil
}

// Store implements Store: the staged file at src streams into S3 in one
// request of known size, and is removed once the asset is stored.
func (s *S3) Store(ctx context.Context, src string, a Asset, old *Asset) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open staged file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open staged file: %w", err)
	}
	if err := s.StoreFrom(ctx, f, st.Size(), a, old); err != nil {
		return err
	}
	os.Remove(src)
	return nil
}

// StoreFrom is Store with the file's size bytes read from body.
func (s *S3) StoreFrom(ctx context.Context, body io.Reader, size int64, a Asset, old *Asset) error {
	return s.place(ctx, a, old, func(cond objects.Conditions) (string, error) {
		info, err := s.obj.Put(ctx, fileKey(a), body, size, objects.WriteOptions{ContentType: a.MIME, Conditions: cond})
		return info.ETag, err
	})
}

// BeginParts starts the multipart upload of a's file, for a file that
// arrives in parts; StoreParts completes it.
func (s *S3) BeginParts(ctx context.Context, a Asset) (*objects.Multipart, error) {
	return s.obj.CreateMultipart(ctx, fileKey(a), objects.WriteOptions{ContentType: a.MIME})
}

// ResumeParts takes up the multipart upload id of a's file.
func (s *S3) ResumeParts(a Asset, id string, parts []objects.Part) *objects.Multipart {
	return s.obj.ResumeMultipart(fileKey(a), id, parts)
}

// StoreParts is Store with a's file assembled from the parts sent to mp (an
// upload BeginParts or ResumeParts returned for an asset of the same file
// name). mp is not aborted on failure: that is the caller's.
func (s *S3) StoreParts(ctx context.Context, mp *objects.Multipart, a Asset, old *Asset) error {
	return s.place(ctx, a, old, func(cond objects.Conditions) (string, error) {
		return mp.Complete(ctx, cond)
	})
}

// place writes a's file with write and then its record. A file name that
// is not the replaced asset's own must be free: write gets the condition
// that says so.
func (s *S3) place(ctx context.Context, a Asset, old *Asset, write func(objects.Conditions) (string, error)) error {
	key := fileKey(a)
	var cond objects.Conditions
	if old == nil || fileKey(*old) != key {
		if _, err := s.obj.Stat(ctx, key); err == nil {
			return fmt.Errorf("%w: %s exists", ErrConflict, key)
		} else if !errors.Is(err, objects.ErrNotFound) {
			return fmt.Errorf("check asset file: %w", err)
		}
		cond.IfNoneMatch = "*"
	}
	etag, err := write(cond)
	if errors.Is(err, objects.ErrPreconditionFailed) || errors.Is(err, objects.ErrKeyConflict) {
		return fmt.Errorf("%w: %s exists", ErrConflict, key)
	}
	if err != nil {
		return fmt.Errorf("write asset file: %w", err)
	}
	a.StorageETag = etag
	if err := s.writeRecord(ctx, a); err != nil {
		s.obj.Delete(context.WithoutCancel(ctx), key)
		return err
	}
	if old != nil {
		if k := fileKey(*old); k != key {
			s.obj.Delete(ctx, k)
		}
	}
	return nil
}

func (s *S3) writeRecord(ctx context.Context, a Asset) error {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode asset record: %w", err)
	}
	// A record is always the asset's own: replacing it is the point.
	_, err = s.obj.Put(ctx, metaKey(a.Type, a.PublicID), bytes.NewReader(data), int64(len(data)),
		objects.WriteOptions{ContentType: "application/json"})
	if errors.Is(err, objects.ErrKeyConflict) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("write asset record: %w", err)
	}
	return nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, a Asset) error {
	if err := s.obj.Delete(ctx, metaKey(a.Type, a.PublicID)); err != nil && !errors.Is(err, objects.ErrInvalidKey) {
		return fmt.Errorf("remove asset record: %w", err)
	}
	if err := s.obj.Delete(ctx, fileKey(a)); err != nil && !errors.Is(err, objects.ErrInvalidKey) {
		return fmt.Errorf("remove asset file: %w", err)
	}
	return nil
}

// Open implements Store. Nothing is read until the file is: a read starts
// where the file was sought to, for the bytes Prepare announced (else to
// the end), and insists on the version the record names.
func (s *S3) Open(ctx context.Context, a Asset) (File, error) {
	return &s3File{ctx: ctx, obj: s.obj, key: fileKey(a), etag: a.StorageETag, size: a.Bytes}, nil
}

// ErrChanged means an asset's file is not the one its record describes:
// it is being replaced (or a replacement was cut short).
var ErrChanged = errors.New("the asset's file changed since its record was read")

// s3File reads an asset's file from S3 with ranged reads.
type s3File struct {
	ctx  context.Context
	obj  *objects.S3
	key  string
	etag string
	size int64 // the record's

	pos  int64
	body io.ReadCloser // an open read of [pos, end)
	end  int64
}

func (f *s3File) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.pos
	case io.SeekEnd:
		offset += f.size
	default:
		return f.pos, errors.New("seek: invalid whence")
	}
	if offset < 0 {
		return f.pos, errors.New("seek: negative position")
	}
	if offset != f.pos {
		f.closeBody()
		f.pos = offset
	}
	return offset, nil
}

// Prepare starts the read of the next n bytes, so that a missing or
// changed file is known before anything is answered.
func (f *s3File) Prepare(n int64) error {
	f.closeBody()
	if n <= 0 || f.pos >= f.size {
		return nil
	}
	return f.open(min(n, f.size-f.pos))
}

func (f *s3File) open(n int64) error {
	r, err := f.obj.Get(f.ctx, f.key, objects.ReadOptions{
		Range: &objects.ByteRange{Start: f.pos, Length: n}, IfMatch: f.etag})
	switch {
	case errors.Is(err, objects.ErrNotFound):
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	case errors.Is(err, objects.ErrPreconditionFailed), errors.Is(err, objects.ErrRangeNotSatisfiable):
		return fmt.Errorf("%w: %w", ErrChanged, err)
	case err != nil:
		return err
	}
	if r.Info.Size != f.size || r.Range == nil || r.Range.Start != f.pos || r.Range.Length != n {
		r.Close()
		return fmt.Errorf("%w: S3 has %d bytes, the record says %d", ErrChanged, r.Info.Size, f.size)
	}
	f.body, f.end = r, f.pos+n
	return nil
}

func (f *s3File) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, io.EOF
	}
	if f.body != nil && f.pos >= f.end {
		f.closeBody()
	}
	if f.body == nil {
		if err := f.open(f.size - f.pos); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > f.end-f.pos {
		p = p[:f.end-f.pos]
	}
	n, err := f.body.Read(p)
	f.pos += int64(n)
	if err == io.EOF {
		err = nil
		if f.pos < f.end {
			err = io.ErrUnexpectedEOF
		}
	}
	return n, err
}

func (f *s3File) closeBody() {
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
}

func (f *s3File) Close() error {
	f.closeBody()
	return nil
}
