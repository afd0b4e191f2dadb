package objects

import (
	"context"
	"sync"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Clients makes one S3 store per configuration (endpoint, region,
// credentials, bucket, prefix, ...) and shares one HTTP client, and so its
// idle connections, among them. The zero value is ready to use.
type Clients struct {
	mu     sync.Mutex
	cached map[string]*S3
	http   *awshttp.BuildableClient
}

// maxClients bounds the cache: configurations come from buckets the admin
// makes, so the bound only guards against one whose settings keep changing.
const maxClients = 256

// S3 returns the store of cfg, made on first use.
func (c *Clients) S3(ctx context.Context, cfg S3Config) (*S3, error) {
	key := cfg.CacheKey()
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.cached[key]; ok {
		return s, nil
	}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = c.http
	}
	s, err := NewS3(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if c.cached == nil || len(c.cached) >= maxClients {
		c.cached = map[string]*S3{}
	}
	c.cached[key] = s
	return s, nil
}
