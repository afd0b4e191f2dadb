package s3api

import (
	"context"
	"errors"
	"fmt"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
)

// ErrReadOnly: the bucket's origin is an HTTP server, which the gateway
// only reads.
var ErrReadOnly = errors.New("the bucket's origin is read-only")

// Stores gives the object storage of a bucket: its directory for a
// file:// origin, its S3 bucket and prefix for an s3:// one.
type Stores struct {
	// S3 holds the defaults of s3:// origins (GATEWAY_S3_*).
	S3 objects.S3Config
	// CheckDir, when set, is asked about a file origin's directory before
	// each use; an error keeps it shut (bucket.Guard's serve-time check).
	CheckDir func(dir string) error

	clients objects.Clients
}

// For returns b's storage, ErrReadOnly for an HTTP origin.
func (s *Stores) For(ctx context.Context, b bucket.Bucket) (objects.Store, error) {
	switch b.OriginKind() {
	case "file":
		dir := b.Dir()
		if dir == "" || dir == "." {
			return nil, fmt.Errorf("bucket %s has no directory", b.Name)
		}
		if s.CheckDir != nil {
			if err := s.CheckDir(dir); err != nil {
				return nil, err
			}
		}
		return objects.Dir{Root: dir}, nil
	case "s3":
		st, err := s.clients.S3(ctx, b.S3Config(s.S3))
		if err != nil {
			return nil, fmt.Errorf("storage of bucket %s: %w", b.Name, err)
		}
		return st, nil
	}
	return nil, ErrReadOnly
}
