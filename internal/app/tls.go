package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/proxy"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/tlsserve"
)

// mountTLS sets up the certificates of the HTTPS listener when
// GATEWAY_TLS_ADDR is set, and puts tlsserve.Front (ACME challenges, the
// redirect to https) first among the host routers, ahead of custom
// domains, which own every path on their host. It needs the custom
// domains: it mounts after delivery.
func (a *App) mountTLS(m *Mount) error {
	cfg := a.Config.TLS
	if !cfg.Enabled() {
		return nil
	}
	pub, err := url.Parse(a.Config.PublicURL)
	if err != nil {
		return err
	}
	ownHost := proxy.HostOf(pub.Host)
	registered := func(ctx context.Context, host string) (bool, error) {
		_, ok, err := a.Domains.ForHost(ctx, host)
		return ok && host != ownHost, err
	}
	opts := tlsserve.Options{
		CertFile:         cfg.CertFile,
		KeyFile:          cfg.KeyFile,
		Registered:       registered,
		HandshakeTimeout: a.Config.ReadHeaderTimeout,
		Registerer:       a.Registry,
		Log:              a.Log,
	}
	if pub.Scheme == "https" {
		opts.PublicHost = ownHost
	}
	if cfg.ACMEEnabled() {
		if opts.ACME, err = acmeOptions(a.Config); err != nil {
			return err
		}
		opts.Store = a.Store
		if a.Redis != nil {
			opts.Locker = tlsserve.NewRedisLocker(a.Redis, a.Config.RedisPrefix, 0, a.Log)
		} else {
			opts.Locker = tlsserve.NewLocalLocker()
		}
	}
	if a.TLS, err = tlsserve.New(opts); err != nil {
		return err
	}
	a.onClose(a.TLS.Close)
	_, port, _ := net.SplitHostPort(cfg.Addr)
	front := &tlsserve.Front{
		Manager:   a.TLS,
		Redirect:  cfg.Redirect,
		HTTPSPort: port,
		IsDomain: func(ctx context.Context, host string) bool {
			ok, _ := registered(ctx, host)
			return ok
		},
	}
	m.Routes.Hosts = append([]server.Router{front}, m.Routes.Hosts...)
	return nil
}

func acmeOptions(c config.Config) (*tlsserve.ACME, error) {
	t := c.TLS
	o := &tlsserve.ACME{
		Directory: t.Directory(),
		Email:     t.ACMEEmail,
		HTTP01:    t.Challenge(config.ChallengeHTTP01),
		TLSALPN01: t.Challenge(config.ChallengeTLSALPN01),
		HTTPAddr:  c.Addr,
		TLSAddr:   t.Addr,
	}
	if t.ACMECARoot != "" {
		root, err := os.ReadFile(t.ACMECARoot)
		if err != nil {
			return nil, fmt.Errorf("GATEWAY_ACME_CA_ROOT: %w", err)
		}
		o.Root = root
	}
	return o, nil
}

// ServeTLS answers HTTPS on ln, a TCP listener, with the same handler as
// Serve (HTTP/2 included), until ctx ends, then shuts down gracefully.
func (a *App) ServeTLS(ctx context.Context, ln net.Listener) error {
	if a.TLS == nil {
		return errors.New("no HTTPS listener: GATEWAY_TLS_ADDR is not set")
	}
	srv := server.New(server.Options{
		ReadHeaderTimeout: a.Config.ReadHeaderTimeout,
		IdleTimeout:       a.Config.IdleTimeout,
		MaxHeaderBytes:    a.Config.MaxHeaderBytes,
	}, a.handler, a.Log)
	return server.ServeTLS(ctx, srv, ln, a.TLS.TLSConfig(), a.Config.ReadHeaderTimeout, a.Config.ShutdownTimeout, a.Log)
}

// listenTLS opens the HTTPS listener's address; nil when there is none.
func (a *App) listenTLS() (net.Listener, error) {
	if a.TLS == nil {
		if a.worker && a.Config.TLS.Enabled() {
			a.Log.Warn("GATEWAY_TLS_ADDR is ignored by gateway worker: it serves only /healthz, /readyz and /metrics, over HTTP")
		}
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.Config.TLS.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (GATEWAY_TLS_ADDR): %w", a.Config.TLS.Addr, err)
	}
	return ln, nil
}

// serveListeners serves ln (HTTP) and, when not nil, tlsLn (HTTPS) until
// ctx ends; when one fails, the other shuts down too.
func (a *App) serveListeners(ctx context.Context, ln, tlsLn net.Listener) error {
	if tlsLn == nil {
		return a.Serve(ctx, ln)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { err := a.Serve(ctx, ln); cancel(); errs <- err }()
	go func() {
		err := a.ServeTLS(ctx, tlsLn)
		if err != nil {
			err = fmt.Errorf("https: %w", err)
		}
		cancel()
		errs <- err
	}()
	return errors.Join(<-errs, <-errs)
}
