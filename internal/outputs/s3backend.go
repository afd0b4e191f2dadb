package outputs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/objects"
)

// S3Backend keeps outputs in S3-compatible storage, so that every instance
// serves every output. An output is one object, <expiry date>/<id>, whose
// metadata holds its Meta: the janitor tells expired outputs by their keys
// alone, and a lifecycle rule on the bucket can do the same.
type S3Backend struct{ Store *objects.S3 }

var _ Backend = S3Backend{}

// dayLayout names the day an output expires in its key.
const dayLayout = "2006-01-02"

func s3Key(id string, expires time.Time) string {
	return expires.UTC().Format(dayLayout) + "/" + id
}

// Metadata names (S3 sends them as x-amz-meta-*, so values are ASCII: the
// name is escaped).
const (
	metaName    = "name"
	metaInline  = "inline"
	metaExpires = "expires"
)

// Put implements Backend. A known size (meta.Size >= 0) streams in one
// request; an unknown one goes in parts.
func (b S3Backend) Put(ctx context.Context, id string, meta Meta, src io.Reader) error {
	if !validID(id) {
		return fmt.Errorf("invalid output id %q", id)
	}
	_, err := b.Store.Put(ctx, s3Key(id, meta.Expires), src, meta.Size, objects.WriteOptions{
		ContentType: meta.ContentType,
		Metadata: map[string]string{
			metaName:    url.PathEscape(meta.Name),
			metaInline:  strconv.FormatBool(meta.Inline),
			metaExpires: strconv.FormatInt(meta.Expires.Unix(), 10),
		},
	})
	if err != nil {
		return fmt.Errorf("store output: %w", err)
	}
	return nil
}

// Open implements Backend: the object's metadata now, its bytes when read.
func (b S3Backend) Open(ctx context.Context, id string, expires time.Time) (*Object, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	key := s3Key(id, expires)
	info, err := b.Store.Stat(ctx, key)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	name, _ := url.PathUnescape(info.Metadata[metaName])
	unix, _ := strconv.ParseInt(info.Metadata[metaExpires], 10, 64)
	meta := Meta{
		Name:        name,
		Inline:      info.Metadata[metaInline] == "true",
		ContentType: info.ContentType,
		Size:        info.Size,
		Expires:     time.Unix(unix, 0),
	}
	return &Object{
		ReadSeekCloser: &lazyObject{ctx: ctx, store: b.Store, key: key, size: info.Size, etag: info.ETag},
		Meta:           meta,
		ModTime:        info.ModTime,
	}, nil
}

// Sweep implements Backend: outputs whose expiry day has passed go.
func (b S3Backend) Sweep(ctx context.Context, now time.Time) (int, error) {
	today := now.UTC().Format(dayLayout)
	removed := 0
	var errs []error
	for info, err := range b.Store.List(ctx, "") {
		if err != nil {
			return removed, errors.Join(append(errs, err)...)
		}
		day, id, ok := strings.Cut(info.Key, "/")
		if !ok || !validID(id) {
			continue
		}
		if _, perr := time.Parse(dayLayout, day); perr != nil || day >= today {
			continue
		}
		if err := b.Store.Delete(ctx, info.Key); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// Presign returns a URL of S3 itself that serves output id as name until
// expires (at most seven days, S3's limit for presigned URLs).
func (b S3Backend) Presign(ctx context.Context, id, name string, inline bool, expires time.Time, now time.Time) (string, error) {
	ttl := min(expires.Sub(now), 7*24*time.Hour)
	if ttl <= 0 {
		return "", errors.New("the output has expired")
	}
	in := &s3.GetObjectInput{
		Bucket:                     aws.String(b.Store.Bucket()),
		Key:                        aws.String(b.Store.Key(s3Key(id, expires))),
		ResponseContentDisposition: aws.String(ContentDisposition(name, inline)),
		ResponseContentType:        aws.String(contentType(name)),
	}
	req, err := s3.NewPresignClient(b.Store.Client()).PresignGetObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign output: %w", err)
	}
	return req.URL, nil
}

// lazyObject reads an S3 object as a ReadSeeker: a seek only moves the
// offset, and a read opens a ranged read from there, of the version that
// was opened (If-Match). http.ServeContent's seeks to learn the size cost
// nothing; each range it serves is one read from S3.
type lazyObject struct {
	ctx   context.Context
	store *objects.S3
	key   string
	size  int64
	etag  string

	off  int64
	body io.ReadCloser
}

func (o *lazyObject) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.body == nil {
		r, err := o.store.Get(o.ctx, o.key, objects.ReadOptions{
			Range: &objects.ByteRange{Start: o.off, Length: -1}, IfMatch: o.etag})
		if err != nil {
			return 0, err
		}
		o.body = r
	}
	n, err := o.body.Read(p)
	o.off += int64(n)
	return n, err
}

func (o *lazyObject) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.off + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, errors.New("seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("seek: negative position")
	}
	if abs != o.off && o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.off = abs
	return abs, nil
}

func (o *lazyObject) Close() error {
	if o.body != nil {
		return o.body.Close()
	}
	return nil
}
