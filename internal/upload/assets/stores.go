package assets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

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

	mu     sync.Mutex
	cached map[string]*S3
	http   *awshttp.BuildableClient
}

// maxCachedS3 bounds the cache of S3 clients: buckets are made by the
// admin, so this only guards against one whose settings keep changing.
const maxCachedS3 = 256

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
	cfg := b.S3Config(s.S3)
	key := cfg.CacheKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.cached[key]; ok {
		return st, nil
	}
	if s.http == nil {
		s.http = objects.NewHTTPClient()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = s.http
	}
	obj, err := objects.NewS3(ctx, cfg)
	if err != nil {
		// The error names no setting's value, the secret least of all.
		return nil, fmt.Errorf("storage of bucket %s: %w", b.Name, err)
	}
	if s.cached == nil || len(s.cached) >= maxCachedS3 {
		s.cached = map[string]*S3{}
	}
	st := NewS3(obj)
	s.cached[key] = st
	return st, nil
}
