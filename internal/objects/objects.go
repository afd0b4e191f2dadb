// Package objects owns object storage: one interface (ranged and
// conditional reads, stat, streaming writes, delete, list by prefix) with
// two backends, a local directory (Dir, the embedded default) and
// S3-compatible storage (S3). Keys are slash-separated names relative to
// the store's root or prefix; a key can never name anything outside it.
package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode/utf8"
)

// Info describes one stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
	// ETag is the object's entity tag, quoted as HTTP sends it.
	ETag        string
	ContentType string
	// Metadata is the user metadata written with the object (S3's
	// x-amz-meta-*), names in lower case.
	Metadata map[string]string
}

// ByteRange is the bytes [Start, Start+Length) of an object. In a read's
// options it may also be open as HTTP's ranges are: Length < 0 reads from
// Start to the end, and Start < 0 reads the last -Start bytes. A Reader's
// Range is always resolved.
type ByteRange struct{ Start, Length int64 }

// Resolve returns r within an object of size bytes, or false when no byte
// of the object is in it.
func (r ByteRange) Resolve(size int64) (ByteRange, bool) {
	switch {
	case r.Start < 0:
		n := min(-r.Start, size)
		return ByteRange{Start: size - n, Length: n}, n > 0
	case r.Start >= size, r.Length == 0:
		return ByteRange{}, false
	case r.Length < 0:
		return ByteRange{Start: r.Start, Length: size - r.Start}, true
	}
	return ByteRange{Start: r.Start, Length: min(r.Length, size-r.Start)}, true
}

// header is r as an HTTP Range header.
func (r ByteRange) header() string {
	switch {
	case r.Start < 0:
		return fmt.Sprintf("bytes=-%d", -r.Start)
	case r.Length < 0:
		return fmt.Sprintf("bytes=%d-", r.Start)
	}
	return fmt.Sprintf("bytes=%d-%d", r.Start, r.Start+r.Length-1)
}

// ReadOptions make a read ranged or conditional, as HTTP's Range and If-*
// headers do.
type ReadOptions struct {
	// Range, when set, reads only those bytes; it must lie within the
	// object (ErrRangeNotSatisfiable otherwise).
	Range *ByteRange
	// IfMatch and IfNoneMatch are the headers' values as HTTP sends them
	// ("*", or quoted tags separated by commas). The conditions are
	// checked in RFC 9110's order, each only when set.
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince time.Time
}

// Reader is an object being read: Info describes the whole object, and
// Range the part the body holds (nil: all of it).
type Reader struct {
	io.ReadCloser
	Info  Info
	Range *ByteRange
}

// WriteOptions go with a write.
type WriteOptions struct {
	ContentType  string
	CacheControl string
	Metadata     map[string]string
	// ACL is an S3 canned ACL ("private", "public-read", ...) sent with
	// the object; empty sends none, leaving the bucket's default. Backends
	// without ACLs (Dir) ignore it.
	ACL string
	Conditions
}

// Conditions make a write conditional, as HTTP's If-Match and
// If-None-Match do. A write whose condition fails is ErrPreconditionFailed
// and changes nothing.
type Conditions struct {
	// IfNoneMatch "*" (the only value accepted) writes only when no object
	// has the key.
	IfNoneMatch string
	// IfMatch writes only over the object with this ETag (quoted, as Info
	// has it).
	IfMatch string
}

// check refuses conditions the backends cannot express.
func (c Conditions) check() error {
	if c.IfNoneMatch != "" && c.IfNoneMatch != "*" {
		return fmt.Errorf("objects: IfNoneMatch %q: only \"*\" is supported", c.IfNoneMatch)
	}
	if c.IfNoneMatch != "" && c.IfMatch != "" {
		return errors.New("objects: IfMatch and IfNoneMatch together")
	}
	return nil
}

// Store is object storage. Every method takes a key as ValidKey allows.
type Store interface {
	// Get opens key for reading as opts say.
	Get(ctx context.Context, key string, opts ReadOptions) (*Reader, error)
	Stat(ctx context.Context, key string) (Info, error)
	// Put stores what body holds under key, replacing any object there
	// (unless opts' conditions say otherwise); size is its length, or -1
	// when unknown. Readers see the old object or the new one, never a
	// part.
	Put(ctx context.Context, key string, body io.Reader, size int64, opts WriteOptions) (Info, error)
	// Delete removes key; removing an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// List yields the objects whose keys start with prefix, in key order.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
}

// Errors of every backend, to test with errors.Is.
var (
	ErrNotFound            = errors.New("object not found")
	ErrNotModified         = errors.New("object not modified")
	ErrPreconditionFailed  = errors.New("object precondition failed")
	ErrRangeNotSatisfiable = errors.New("range not satisfiable")
	// ErrAccessDenied: the storage refused the gateway's credentials.
	ErrAccessDenied = errors.New("access to the object storage denied")
	// ErrInvalidKey: the key is not one ValidKey accepts.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrACLNotSupported: a write asked for an ACL and the bucket does not
	// take ACLs (S3's buckets with ACLs disabled).
	ErrACLNotSupported = errors.New("the bucket does not accept ACLs")
	// ErrKeyConflict: storage that keeps objects as files (a directory,
	// or an S3-compatible server on one) cannot hold the key beside an
	// existing one: "a/b" when "a" is an object, or "a" when objects
	// are under "a/".
	ErrKeyConflict = errors.New("object key conflicts with an existing key")
)

// RangeError is ErrRangeNotSatisfiable with the object's size, which the
// answer (Content-Range: bytes */size) needs.
type RangeError struct{ Size int64 }

func (e *RangeError) Error() string {
	return fmt.Sprintf("range not satisfiable (object size %d)", e.Size)
}
func (e *RangeError) Is(target error) bool { return target == ErrRangeNotSatisfiable }

// MaxKeyLen is S3's limit on a key's length in bytes.
const MaxKeyLen = 1024

// ValidKey reports whether key may name an object: valid UTF-8 of at most
// MaxKeyLen bytes, relative ("a/b.mp4", not "/a"), with no empty, "." or
// ".." segment and no NUL or other control character. Such keys mean the
// same on a disk as in S3, and cannot leave the store's root.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen || !utf8.ValidString(key) {
		return false
	}
	for _, c := range key {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// Join returns prefix and name as one key: the prefix's trailing slash and
// the name's leading ones are not repeated. The result still needs
// ValidKey.
func Join(prefix, name string) string {
	prefix = strings.Trim(prefix, "/")
	name = strings.TrimLeft(name, "/")
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// checkConditions applies opts' conditions to an object with etag and
// modTime, in RFC 9110's order (section 13.2.2).
func checkConditions(opts ReadOptions, etag string, modTime time.Time) error {
	switch {
	case opts.IfMatch != "":
		if !etagMatches(opts.IfMatch, etag) {
			return ErrPreconditionFailed
		}
	case !opts.IfUnmodifiedSince.IsZero():
		if modTime.Truncate(time.Second).After(opts.IfUnmodifiedSince) {
			return ErrPreconditionFailed
		}
	}
	switch {
	case opts.IfNoneMatch != "":
		if etagMatches(opts.IfNoneMatch, etag) {
			return ErrNotModified
		}
	case !opts.IfModifiedSince.IsZero():
		if !modTime.Truncate(time.Second).After(opts.IfModifiedSince) {
			return ErrNotModified
		}
	}
	return nil
}

// etagMatches compares a condition's tag with an object's, weakly (a W/
// prefix on either side is ignored, as If-None-Match does).
func etagMatches(cond, etag string) bool {
	if strings.TrimSpace(cond) == "*" {
		return true
	}
	norm := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for c := range strings.SplitSeq(cond, ",") {
		if norm(c) == norm(etag) {
			return true
		}
	}
	return false
}
