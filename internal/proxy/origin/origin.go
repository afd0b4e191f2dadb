// Package origin owns reading a bucket's objects from where they live: a
// local directory (file:// origins, served from disk with sendfile), an
// HTTP upstream (http(s):// origins, reverse-proxied and streamed) or an S3
// bucket (s3:// origins, ranged reads streamed from S3). Either
// way it answers Range, HEAD and conditional requests, sets media content
// types, and keeps the gateway's own credentials and cookies away from the
// origin. Deciding who may read an object is not its job: the handlers it
// returns expect a request that has already been routed and authorised.
package origin

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
)

// Options tune the HTTP origins' transport. Zero values take the defaults
// below.
type Options struct {
	// ResponseHeaderTimeout bounds the wait for an upstream's response
	// headers; the body then streams for as long as it takes.
	ResponseHeaderTimeout time.Duration
	// DialTimeout bounds connecting to an upstream.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake with an upstream.
	TLSHandshakeTimeout time.Duration
	// IdleConnTimeout closes idle upstream connections after this long.
	IdleConnTimeout time.Duration
	// MaxIdleConnsPerHost keeps this many idle connections per upstream.
	MaxIdleConnsPerHost int

	// InstanceID names this gateway instance in the Via header of the
	// requests it proxies; a request that already names it has come back
	// through a bucket whose origin leads to this gateway, and is refused
	// (508) instead of being proxied round again. Empty disables both.
	InstanceID string
	// S3 holds the defaults of s3:// origins (endpoint, region,
	// addressing; the bucket and prefix come from each origin).
	S3 objects.S3Config

	// CheckDir, when set, is asked about a file origin's directory
	// (symlinks resolved) each time it is opened; an error keeps it shut
	// (503). It is the serve-time side of bucket.Guard.
	CheckDir func(dir string) error
}

// Defaults of Options.
const (
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultDialTimeout           = 5 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultIdleConnTimeout       = 90 * time.Second
	DefaultMaxIdleConnsPerHost   = 32
)

func (o Options) withDefaults() Options {
	if o.ResponseHeaderTimeout <= 0 {
		o.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.TLSHandshakeTimeout <= 0 {
		o.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = DefaultIdleConnTimeout
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	return o
}

// Handlers gives the handler that serves a bucket's objects: Pool, or a
// stand-in in tests. Bucket delivery and the S3 endpoint read through it.
type Handlers interface {
	Handler(b bucket.Bucket) (http.Handler, error)
}

// maxCached bounds the handler cache. Origins come from admin-made buckets,
// so the bound is only a guard against a bucket whose origin keeps changing.
const maxCached = 4096

// Pool hands out one handler per origin and shares one upstream transport
// (and so its idle connections) among all HTTP origins.
type Pool struct {
	transport *http.Transport
	opts      Options

	mu       sync.Mutex
	handlers map[string]http.Handler
}

// NewPool returns a pool whose HTTP origins use opts.
func NewPool(opts Options) *Pool {
	opts = opts.withDefaults()
	return &Pool{
		transport: newTransport(opts),
		opts:      opts,
		handlers:  map[string]http.Handler{},
	}
}

// Handler returns the handler that serves objects of b (cached per origin
// string). The request it gets has r.URL.Path = the object path inside the
// bucket ("/films/a.mp4"), already cleaned and checked, and no auth query
// parameter or cookie.
func (p *Pool) Handler(b bucket.Bucket) (http.Handler, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := b.Origin
	var s3cfg objects.S3Config
	if b.OriginKind() == "s3" {
		s3cfg = b.S3Config(p.opts.S3)
		key = s3cfg.CacheKey()
	}
	if h, ok := p.handlers[key]; ok {
		return h, nil
	}
	var h http.Handler
	var err error
	switch b.OriginKind() {
	case "file":
		h, err = newFileOrigin(b.Dir(), p.opts.CheckDir)
	case "s3":
		h, err = newS3Origin(s3cfg)
	default:
		h, err = newHTTPOrigin(b.Origin, p.transport, p.opts.InstanceID)
	}
	if err != nil {
		return nil, fmt.Errorf("origin of bucket %q: %w", b.Name, err)
	}
	if len(p.handlers) >= maxCached {
		clear(p.handlers)
	}
	p.handlers[key] = h
	return h, nil
}

// Close drops the idle upstream connections.
func (p *Pool) Close() { p.transport.CloseIdleConnections() }

// OptionsFrom maps the gateway's configuration onto Options; s3 is the
// gateway-wide S3 configuration.
func OptionsFrom(c config.Origin, s3 objects.S3Config) Options {
	return Options{
		S3:                    s3,
		ResponseHeaderTimeout: c.ResponseHeaderTimeout,
		DialTimeout:           c.DialTimeout,
		TLSHandshakeTimeout:   c.TLSHandshakeTimeout,
		IdleConnTimeout:       c.IdleConnTimeout,
		MaxIdleConnsPerHost:   c.MaxIdleConnsPerHost,
	}
}
