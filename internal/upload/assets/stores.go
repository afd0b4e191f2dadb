package assets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
)

// ErrReadOnly means a bucket's origin cannot store assets (an http(s)
// origin).
var ErrReadOnly = errors.New("the bucket's origin is read-only")

// Stores gives the asset store of a bucket: its directory for a file://
// origin, its S3 bucket and prefix for an s3:// one. S3 clients are made
// once per configuration (endpoint, region, credentials, ...) and share
// their connections. The zero value is ready to use.
type Stores struct {
	// S3 holds the defaults of s3:// origins (GATEWAY_S3_*): what a
	// bucket's own "s3" settings do not say.
	S3 objects.S3Config

	clients objects.Clients
	mu      sync.Mutex
	cached  map[*objects.S3]*S3
}

// For returns b's asset store, ErrReadOnly for an origin that cannot
// store.
func (s *Stores) For(ctx context.Context, b bucket.Bucket) (Store, error) {
	switch b.OriginKind() {
	case "file":
		dir := b.Dir()
		if dir == "" || dir == "." {
			return nil, fmt.Errorf("bucket %s has no directory", b.Name)
		}
		return Dir(dir), nil
	case "s3":
		return s.s3(ctx, b)
	}
	return nil, ErrReadOnly
}

func (s *Stores) s3(ctx context.Context, b bucket.Bucket) (*S3, error) {
	obj, err := s.clients.S3(ctx, b.S3Config(s.S3))
	if err != nil {
		// The error names no setting's value, the secret least of all.
		return nil, fmt.Errorf("storage of bucket %s: %w", b.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.cached[obj]
	if !ok {
		if len(s.cached) >= 256 {
			s.cached = nil
		}
		if s.cached == nil {
			s.cached = map[*objects.S3]*S3{}
		}
		st = NewS3(obj)
		s.cached[obj] = st
	}
	return st, nil
}
