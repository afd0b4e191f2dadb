// Package server owns the gateway's HTTP plumbing: the server with its
// timeouts and limits, the middleware every request passes through, the
// health and metrics endpoints, the routing of requests to the parts of the
// gateway (fixed routes on a ServeMux, custom domains by Host, signed-URL
// bases by path), graceful shutdown, and what every handler shares: the
// error contract and its one writer (errors.go), the per-request scope with
// its logger (scope.go) and the Prometheus collectors (metrics.go). The fast
// lane (fastlane/) and its socket helper (tcpmore/) live beneath it.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/signedgate/gateway/internal/server/tcpmore"
)

// Router claims requests that fixed mux patterns cannot describe: it returns
// the handler for r and a route name for metrics (such as "signed-url"), or
// a nil handler when r is not its own.
type Router interface {
	Route(r *http.Request) (h http.Handler, name string)
}

// RouterFunc adapts a function to Router.
type RouterFunc func(r *http.Request) (http.Handler, string)

// Route calls f.
func (f RouterFunc) Route(r *http.Request) (http.Handler, string) { return f(r) }

// Check is one readiness check, such as "redis answers".
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Routes is what the server dispatches to.
type Routes struct {
	// Mux holds the fixed routes (admin API, /media/..., uploads).
	Mux *http.ServeMux
	// Hosts are asked first: a custom domain owns every path on its host.
	Hosts []Router
	// Paths are asked when no mux pattern matched (signed-URL bases).
	Paths []Router
	// Ready are the readiness checks of /readyz.
	Ready []Check
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
}

// Options are the server's limits.
type Options struct {
	Addr              string
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	MaxHeaderBytes    int
}

// Handler builds the whole request path: middleware, then dispatch.
// sample picks the access log lines written; nil writes them all.
func Handler(rt Routes, log *slog.Logger, m *Metrics, sample *AccessSample) http.Handler {
	mux := rt.Mux
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /readyz", readiness(rt.Ready))
	if rt.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(rt.Gatherer, promhttp.HandlerOpts{}))
	}
	// The catch-all sees only requests no other pattern matched.
	mux.Handle("/", fallback(mux, rt.Paths))

	var h http.Handler = mux
	if len(rt.Hosts) > 0 {
		hosts := rt.Hosts
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, hr := range hosts {
				if target, name := hr.Route(r); target != nil {
					r.Pattern = name
					target.ServeHTTP(w, r)
					return
				}
			}
			mux.ServeHTTP(w, r)
		})
	}
	return observe(optionsAsterisk(h), log, m, sample)
}

// optionsAsterisk answers OPTIONS * as net/http does when left to it: 200
// and an empty body, with up to 4 KiB of a request body read.
func optionsAsterisk(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodOptions || r.RequestURI != "*" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Length", "0")
		if r.ContentLength != 0 {
			io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 4<<10))
		}
	})
}

// probeMethods are tried to tell "no such route" (404) from "no such method
// on this route" (405).
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func fallback(mux *http.ServeMux, paths []Router) http.Handler {
	return HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		for _, pr := range paths {
			if target, name := pr.Route(r); target != nil {
				r.Pattern = name
				target.ServeHTTP(w, r)
				return nil
			}
		}
		var allowed []string
		for _, method := range probeMethods {
			if method == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = method
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allowed = append(allowed, method)
			}
		}
		if len(allowed) > 0 {
			e := Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				"method %s is not allowed on %s", r.Method, r.URL.Path)
			for _, m := range allowed {
				e.WithHeader("Allow", m)
			}
			return e
		}
		return NotFound("no route for %s %s", r.Method, r.URL.Path)
	})
}

func readiness(checks []Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		results := map[string]string{}
		for _, c := range checks {
			if err := c.Fn(ctx); err != nil {
				status = http.StatusServiceUnavailable
				results[c.Name] = "unavailable"
				slog.Default().Warn("readiness check failed", "check", c.Name, "err", err)
				continue
			}
			results[c.Name] = "ok"
		}
		word := "ok"
		if status != http.StatusOK {
			word = "unavailable"
		}
		WriteJSON(w, status, map[string]any{"status": word, "checks": results})
	})
}

// New returns an http.Server with explicit limits. Read and write timeouts
// stay unset on purpose: uploads and media streams may take long; slow
// clients are bounded by ReadHeaderTimeout and IdleTimeout, and handlers set
// per-request deadlines through http.ResponseController where they need one.
func New(opts Options, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              opts.Addr,
		Handler:           h,
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		MaxHeaderBytes:    opts.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			// File responses hold their head for the body (see
			// tcpmore); observe checks each request's framing.
			return withFraming(tcpmore.WithConn(ctx, c), c)
		},
		// observe must see every request net/http serves, to match them
		// with the framedConn's header blocks: Handler answers OPTIONS *
		// itself.
		DisableGeneralOptionsHandler: true,
	}
}

// Serve runs srv on ln until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish within timeout, and returns. A
// listener with Wait and Cut methods (fastlane.Listener) is waited for too.
// Each connection is a framedConn for net/http (see framing.go).
//
// Requests still running when timeout has passed are cut: their
// connections are closed, one warning says how many there were, and Serve
// returns nil, for a shutdown that keeps its time limit is a clean one. It
// returns an error only when serving failed (the listener did).
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	l, _ := ln.(lane)
	return serve(ctx, srv, framedListener{ln}, l, timeout, log)
}

// lane is a listener that serves connections itself (the fast lane): a
// shutdown waits for them, and cuts them when its time is up.
type lane interface {
	Wait(context.Context) error
	Cut() int
}

// serve is Serve on a listener whose connections are ready for net/http;
// lane, when not nil, is waited for too.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, lane lane, timeout time.Duration, log *slog.Logger) error {
	// active counts net/http's connections in the middle of a request:
	// those Shutdown waits for. framedConns carry their own flag; others
	// (HTTP/2 over TLS) are kept in others.
	var active atomic.Int64
	var others sync.Map // net.Conn -> struct{}
	hook := srv.ConnState
	srv.ConnState = func(c net.Conn, state http.ConnState) {
		now, was := state == http.StateActive, false
		if fc, ok := c.(*framedConn); ok {
			was = fc.active.Swap(now)
		} else if now {
			_, was = others.LoadOrStore(c, struct{}{})
		} else {
			_, was = others.LoadAndDelete(c)
		}
		switch {
		case now && !was:
			active.Add(1)
		case !now && was:
			active.Add(-1)
		}
		if hook != nil {
			hook(c, state)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Shutdown fails with the context's error when time runs out, or with
	// the listener's when closing it failed; the lane's Wait only with the
	// context's.
	err := srv.Shutdown(sctx)
	late := errors.Is(err, context.DeadlineExceeded)
	if late {
		err = nil
	}
	if lane != nil && lane.Wait(sctx) != nil {
		// Connections a listener serves itself (the fast lane) end too.
		late = true
	}
	if late {
		cut := int(active.Load())
		srv.Close()
		if lane != nil {
			cut += lane.Cut()
		}
		log.Warn("shutdown timeout passed; cut the requests still running",
			"requests", cut, "timeout", timeout.String())
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
