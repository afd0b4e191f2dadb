package server

// This file owns the gateway's Prometheus collectors. They are
// registered on an injected registry, so tests and embedders get their own.

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector the gateway updates.
type Metrics struct {
	Requests        *prometheus.CounterVec   // route, method, status
	RequestDuration *prometheus.HistogramVec // route
	InFlight        prometheus.Gauge
	Refusals        *prometheus.CounterVec   // flow, reason
	Jobs            *prometheus.CounterVec   // operation, outcome
	CacheLookups    *prometheus.CounterVec   // cache, result (hit, miss, wait)
	Conversion      *prometheus.HistogramVec // engine, operation
	// FastLane counts requests answered on the fast lane (a subset of
	// Requests).
	FastLane prometheus.Counter
	// DependencyUp is 1 while a dependency answers.
	DependencyUp *prometheus.GaugeVec // dependency
}

// NewMetrics makes the collectors and registers them, with the Go and process
// collectors, on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_http_request_duration_seconds",
			Help:    "Time to the end of the response, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_http_requests_in_flight",
			Help: "Requests being served.",
		}),
		Refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_verification_refusals_total",
			Help: "Requests refused by a signature or token check, by flow and reason.",
		}, []string{"flow", "reason"}),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_jobs_total",
			Help: "Job tasks run, by operation and outcome.",
		}, []string{"operation", "outcome"}),
		CacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_cache_lookups_total",
			Help: "Cache lookups by cache and result.",
		}, []string{"cache", "result"}),
		Conversion: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_conversion_duration_seconds",
			Help:    "Time spent in conversion engines.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"engine", "operation"}),
		DependencyUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gateway_dependency_up",
			Help: "1 while a dependency the gateway uses (redis) answers, 0 while it is taken to be down.",
		}, []string{"dependency"}),
		FastLane: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_fast_lane_answers_total",
			Help: "Requests answered on the fast lane, without net/http (also counted in gateway_http_requests_total).",
		}),
	}
	reg.MustRegister(m.Requests, m.RequestDuration, m.InFlight, m.Refusals, m.Jobs, m.CacheLookups, m.Conversion, m.FastLane, m.DependencyUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
