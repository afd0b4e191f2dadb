// Package app assembles the gateway from its configuration: the record store
// (embedded or Redis), the admin token, the metrics registry, every part's
// routes, and the HTTP server. cmd/gateway only parses and calls it; tests
// start real instances through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/proxy"
	"github.com/signedgate/gateway/internal/proxy/origin"
	"github.com/signedgate/gateway/internal/queue"
	"github.com/signedgate/gateway/internal/s3api"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/server/fastlane"
	"github.com/signedgate/gateway/internal/server/tcpmore"
	"github.com/signedgate/gateway/internal/signedurl"
	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/store/filestore"
	"github.com/signedgate/gateway/internal/store/redisstore"
	"github.com/signedgate/gateway/internal/tlsserve"
)

// App is one running gateway instance.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	Store   store.Store
	Redis   redis.UniversalClient // nil in embedded mode
	Metrics *server.Metrics
	// Registry is the Prometheus registry /metrics serves.
	Registry *prometheus.Registry
	// AdminToken is one of the tokens /v1 admits: the first given, or
	// the generated one. Every configured token is admitted (see
	// adminTokens), and those of GATEWAY_ADMIN_TOKEN_FILE may change while
	// the instance runs.
	AdminToken string
	// InstanceID names this instance (unique per process) where it marks
	// the requests it proxies, so that a request coming back is refused.
	InstanceID string
	// OriginGuard refuses bucket origins that would serve the gateway
	// itself: its own address, or a directory it writes.
	OriginGuard *bucket.Guard
	// Buckets is the cached view of buckets.
	Buckets *bucket.Repo
	// Fetch fetches user-supplied URLs under the SSRF policy.
	Fetch *fetch.Client
	// SigningKeys and Domains are the cached views of bucket delivery's
	// signing keys and custom domains.
	SigningKeys *proxy.KeyRepo
	Domains     *proxy.DomainRepo
	// Engines are the conversion engines jobs run.
	Engines *engine.Registry
	// Outputs keeps job outputs and serves them at signed URLs.
	Outputs *outputs.Store
	// Jobs submits conversion jobs and, with workers, runs them.
	Jobs *jobs.Service
	// Roster lists the live worker processes (and announces this one when
	// it runs jobs).
	Roster queue.Roster
	// AccessKeys are the S3 endpoint's access keys.
	AccessKeys *s3api.KeyRepo
	// SignedURLBases are the signed-URL bases; ResultCache keeps the
	// results of signed URLs with a cache_key.
	SignedURLBases *signedurl.Repo
	ResultCache    *cache.Cache
	// TLS chooses the HTTPS listener's certificates; nil without
	// GATEWAY_TLS_ADDR.
	TLS *tlsserve.Manager

	redisConn *redisstore.Conn // Redis with its breaker; nil in embedded mode
	// origins read buckets' objects, for bucket delivery and the S3
	// endpoint alike.
	origins *origin.Pool
	// worker: the instance is a gateway worker (AsWorker).
	worker bool
	// jobsDone ends when the job service has shut down after Run's context
	// ended.
	jobsDone chan struct{}

	// admin is the router of the /v1 calls; its Routes are what the
	// OpenAPI description is checked against.
	admin *admin.Router

	// now is the clock of every part of the instance.
	now     func() time.Time
	handler http.Handler
	fast    fastlane.Handler // nil: every request goes through net/http
	closers []func() error
}

// Option changes how New builds an instance.
type Option func(*App)

// WithClock gives the instance a clock other than time.Now: tests move it
// on instead of waiting, each instance with its own.
func WithClock(now func() time.Time) Option { return func(a *App) { a.now = now } }

// AsWorker makes the instance a worker (gateway worker): it runs jobs from
// the shared queue and serves only /healthz, /readyz and /metrics.
func AsWorker() Option { return func(a *App) { a.worker = true } }

// New builds an instance from cfg. Close releases what it opened.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (a *App, err error) {
	a = &App{Config: cfg, Log: log, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	// The error returns below set a to nil; close what was opened through
	// the instance itself.
	opened := a
	defer func() {
		if err != nil {
			opened.Close()
		}
	}()
	// Metrics first: the store reports to them.
	a.Registry = prometheus.NewRegistry()
	a.Metrics = server.NewMetrics(a.Registry)
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	if a.redisConn != nil {
		a.redisUp(a.redisConn.Breaker.Up())
	}
	adminTokens, token, err := a.adminTokens()
	if err != nil {
		return nil, err
	}
	a.AdminToken = token
	if a.InstanceID, err = newInstanceID(); err != nil {
		return nil, err
	}
	redirects := cfg.Fetch.MaxRedirects
	if redirects == 0 {
		redirects = -1 // the policy reads 0 as "the default"; the operator asked for none
	}
	a.Fetch = fetch.NewClient(fetch.Policy{
		AllowCIDRs:   cfg.Fetch.Prefixes(),
		AllowHosts:   cfg.Fetch.AllowHosts,
		MaxBytes:     cfg.Fetch.MaxBytes,
		Timeout:      cfg.Fetch.Timeout,
		MaxRedirects: redirects,
	})

	mux := http.NewServeMux()
	m := &Mount{
		Mux:   mux,
		Admin: admin.NewRouterWith(mux, adminTokens, cfg.MaxAdminBodyBytes),
		Routes: server.Routes{
			Mux:      mux,
			Gatherer: a.Registry,
			Ready:    []server.Check{{Name: "store", Fn: a.Store.Ping}},
		},
	}
	// Each part of the gateway mounts its routes; the order is the order of
	// Hosts and Paths routers.
	mounts := []func(*Mount) error{
		a.mountBuckets,
		a.mountDelivery,
		a.mountTLS,   // after delivery, whose domains it serves; puts its router first
		a.mountS3API, // after delivery: custom domains own every path on their host
		a.mountJobs,
		a.mountSignedURL, // before uploads: a base's exact path wins over asset URLs
		a.mountUpload,
		a.mountDescription,
	}
	if a.worker {
		if cfg.Embedded() {
			return nil, errors.New("gateway worker needs GATEWAY_REDIS_URL: it takes its jobs from the shared queue")
		}
		if cfg.Jobs.WorkerCount() == 0 {
			return nil, errors.New("gateway worker needs GATEWAY_JOBS_WORKERS of at least 1")
		}
		mounts = []func(*Mount) error{a.mountJobs}
	}
	a.admin = m.Admin
	for _, mount := range mounts {
		if err := mount(m); err != nil {
			return nil, err
		}
	}
	if !a.worker {
		// After every mount: it sweeps the keys of delivery and the S3
		// endpoint alike.
		a.sweepOrphanKeys()
	}
	sample := server.NewAccessSample(cfg.AccessLogSample)
	a.handler = server.Handler(m.Routes, log, a.Metrics, sample)
	if cfg.FastLane {
		a.fast = server.FastLane(m.Routes, log, a.Metrics, sample)
	}
	return a, nil
}

// Mount is what a part of the gateway registers itself on.
type Mount struct {
	Mux    *http.ServeMux // fixed public routes
	Admin  *admin.Router  // /v1 calls behind the admin token
	Routes server.Routes  // Hosts, Paths and Ready are appended to
}

// onClose registers fn to run when the instance closes.
func (a *App) onClose(fn func() error) { a.closers = append(a.closers, fn) }

func (a *App) mountBuckets(m *Mount) error {
	a.Buckets = bucket.NewRepo(a.Store)
	a.onClose(func() error { a.Buckets.Close(); return nil })
	a.OriginGuard = originGuard(a.Config)
	(&bucket.API{Repo: a.Buckets, Guard: a.OriginGuard, Now: a.now}).Register(m.Admin)
	return nil
}

// mountDescription serves the admin API's OpenAPI description, which
// describes the calls the other parts register, at /v1/openapi.json.
func (a *App) mountDescription(m *Mount) error {
	m.Admin.ServeDescription()
	return nil
}

func (a *App) openStore(ctx context.Context) error {
	cfg := a.Config
	if cfg.Embedded() {
		s, err := filestore.Open(cfg.DataDir)
		if err != nil {
			return err
		}
		a.Store = s
		a.closers = append(a.closers, s.Close)
		return nil
	}
	retries := cfg.RedisClient.MaxRetries
	if retries == 0 {
		retries = -1 // none; 0 would take the default
	}
	rdb, err := redisstore.Connect(ctx, redisstore.Options{
		URL:          cfg.RedisURL,
		Mode:         cfg.RedisMode,
		DialTimeout:  cfg.RedisClient.DialTimeout,
		ReadTimeout:  cfg.RedisClient.ReadTimeout,
		WriteTimeout: cfg.RedisClient.WriteTimeout,
		MaxRetries:   retries,
		Log:          a.Log,
		Breaker:      redisstore.BreakerOptions{OnChange: a.redisUp},
	})
	if err != nil {
		return err
	}
	a.Redis = rdb
	a.redisConn = rdb
	a.closers = append(a.closers, rdb.Close)
	s := redisstore.New(rdb, cfg.RedisPrefix, a.Log)
	a.Store = s
	a.closers = append(a.closers, s.Close)
	return nil
}

// redisUp keeps the dependency gauge of Redis.
func (a *App) redisUp(up bool) {
	if m := a.Metrics; m != nil {
		v := 0.0
		if up {
			v = 1
		}
		m.DependencyUp.WithLabelValues("redis").Set(v)
	}
}

// Handler is the instance's whole HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Serve answers on ln until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := server.New(server.Options{
		ReadHeaderTimeout: a.Config.ReadHeaderTimeout,
		IdleTimeout:       a.Config.IdleTimeout,
		MaxHeaderBytes:    a.Config.MaxHeaderBytes,
	}, a.handler, a.Log)
	ln = tcpmore.Listen(ln)
	if a.fast != nil {
		ln = fastlane.Listen(ln, a.fast, fastlane.Options{
			IdleTimeout:       a.Config.IdleTimeout,
			ReadHeaderTimeout: a.Config.ReadHeaderTimeout,
		})
	}
	return server.Serve(ctx, srv, ln, a.Config.ShutdownTimeout, a.Log)
}

// Run listens on the configured address and serves until ctx ends.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	tlsLn, err := a.listenTLS()
	if err != nil {
		ln.Close()
		return err
	}
	mode := "embedded"
	if !a.Config.Embedded() {
		mode = "redis"
	}
	if a.Jobs.Workers() > 0 {
		a.warmEngines(ctx)
	}
	a.servePprof(ctx)
	a.shutdownJobsWith(ctx)
	if a.worker {
		a.Log.Info("gateway worker listening", "addr", ln.Addr().String(), "workers", a.Jobs.Workers(),
			"families", a.Engines.Families())
	} else {
		a.Log.Info("gateway listening", "addr", ln.Addr().String(), "public_url", a.Config.PublicURL, "mode", mode)
	}
	if tlsLn != nil {
		a.Log.Info("gateway listening for HTTPS", "addr", tlsLn.Addr().String(),
			"certificate_files", a.Config.TLS.CertFile != "", "acme", a.TLS.ACMEEnabled())
	}
	err = a.serveListeners(ctx, ln, tlsLn)
	<-a.jobsDone
	return err
}

// shutdownJobsWith stops the job service's workers when ctx ends, at the
// same time as the server drains: running jobs get GATEWAY_SHUTDOWN_TIMEOUT
// to finish, then go back to the queue.
func (a *App) shutdownJobsWith(ctx context.Context) {
	a.jobsDone = make(chan struct{})
	go func() {
		defer close(a.jobsDone)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		defer cancel()
		a.Jobs.Shutdown(sctx)
	}()
}

// Close releases the store and connections, last opened first.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}
