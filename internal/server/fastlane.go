package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/server/fastlane"
)

// FastRouter is a router whose requests may be answered on the fast lane
// (see package fastlane), without net/http. FastRoute sees a GET or HEAD
// with a plain path and no body and says Pass (not mine), Slow (mine, for
// the full path) or Answered (resp holds the answer that the router's
// handler would have given), with the route name for metrics.
type FastRouter interface {
	FastRoute(req *fastlane.Request, resp *fastlane.Response) (name string, v fastlane.Verdict)
}

// fastHandler offers lane requests to the routers in the order Handler
// dispatches them: Hosts, then the mux's patterns, then Paths. Only a
// Paths router can answer; any router that is not a FastRouter sends the
// request to net/http. An answer gets what observe gives every response:
// a request id, X-Content-Type-Options, the request metrics and the access
// log line.
type fastHandler struct {
	rt      Routes
	log     *slog.Logger
	m       *Metrics
	sample  *AccessSample
	claimed sync.Map // muxKey -> bool: a mux pattern claims it

	mu       sync.Mutex
	counters map[metricsKey]fastMetrics
}

type metricsKey struct {
	route, method string
	status        int
}

type fastMetrics struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// laneFields are the fields observe adds to every response, but the
// request id.
var laneFields = func() (f fastlane.Fields) {
	f.Add("X-Content-Type-Options", nosniff[0])
	return f
}()

// FastLane returns the lane's handler for the routes rt, which must be the
// routes given to Handler, as log, m and sample should be.
func FastLane(rt Routes, log *slog.Logger, m *Metrics, sample *AccessSample) fastlane.Handler {
	return &fastHandler{rt: rt, log: log, m: m, sample: sample, counters: map[metricsKey]fastMetrics{}}
}

func (f *fastHandler) Answer(req *fastlane.Request, resp *fastlane.Response) bool {
	start := req.Time
	if start.IsZero() {
		start = time.Now()
	}
	for _, hr := range f.rt.Hosts {
		fr, ok := hr.(FastRouter)
		if !ok {
			return false
		}
		if _, v := fr.FastRoute(req, resp); v != fastlane.Pass {
			return false
		}
	}
	route := ""
	for _, pr := range f.rt.Paths {
		fr, ok := pr.(FastRouter)
		if !ok {
			return false
		}
		name, v := fr.FastRoute(req, resp)
		if v == fastlane.Pass {
			continue
		}
		if v != fastlane.Answered {
			return false
		}
		route = name
		break
	}
	if route == "" || f.muxClaims(req) {
		return false
	}
	if f.m != nil {
		f.m.InFlight.Inc()
		defer f.m.InFlight.Dec()
	}
	id := req.RequestID
	if !validRequestID(id) {
		id = newRequestID()
	}
	resp.SetFields(laneFields)
	resp.Set("X-Request-Id", id)
	elapsed := time.Since(start)
	if f.m != nil {
		c := f.metrics(route, req.Method, resp.Status)
		c.requests.Inc()
		c.duration.Observe(elapsed.Seconds())
		f.m.FastLane.Inc()
	}
	if f.log.Enabled(context.Background(), slog.LevelInfo) && f.sample.keep(resp.Status) {
		accessLog(context.Background(), f.log, id, req.Method, req.Host, req.Path, route, resp.Status, 0, elapsed, req.RemoteAddr)
	}
	return true
}

// muxClaims reports whether one of the mux's own patterns matches req, as
// it would take the request before any Paths router sees it. The answer
// for a path does not change: patterns are registered at start-up.
func (f *fastHandler) muxClaims(req *fastlane.Request) bool {
	key := muxKey{req.Method, req.Path}
	if v, ok := f.claimed.Load(key); ok {
		return v.(bool)
	}
	r, err := http.NewRequest(req.Method, "http://"+req.Host+req.Path, nil)
	if err != nil {
		return true
	}
	_, pattern := f.rt.Mux.Handler(r)
	claims := pattern != "/"
	f.claimed.Store(key, claims)
	return claims
}

type muxKey struct{ method, path string }

func (f *fastHandler) metrics(route, method string, status int) fastMetrics {
	key := metricsKey{route, method, status}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.counters[key]
	if !ok {
		c = fastMetrics{
			requests: f.m.Requests.WithLabelValues(route, method, strconv.Itoa(status)),
			duration: f.m.RequestDuration.WithLabelValues(route),
		}
		f.counters[key] = c
	}
	return c
}
