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
	// JobsRunning is how many jobs this process runs now.
	JobsRunning prometheus.Gauge
	// JobAttempts counts the jobs workers began, by attempt ("1", "2",
	// ..., "over" for a job past its maximum that is ended at once);
	// JobTakeovers the jobs taken over from a worker whose lease ran out.
	JobAttempts  *prometheus.CounterVec // attempt
	JobTakeovers prometheus.Counter
	// JobQueueWait is how long jobs waited on the queue before a worker
	// began them the first time.
	JobQueueWait prometheus.Histogram
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
		JobsRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_jobs_running",
			Help: "Jobs this process runs now.",
		}),
		JobAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_job_attempts_total",
			Help: "Jobs a worker began, by attempt (1 the first time; over: past the maximum, ended without running).",
		}, []string{"attempt"}),
		JobTakeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_job_takeovers_total",
			Help: "Jobs taken over from a worker that stopped renewing its lease.",
		}),
		JobQueueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gateway_job_queue_wait_seconds",
			Help:    "Time jobs waited on the queue before their first attempt began.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60, 300},
		}),
		FastLane: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_fast_lane_answers_total",
			Help: "Requests answered on the fast lane, without net/http (also counted in gateway_http_requests_total).",
		}),
	}
	reg.MustRegister(m.Requests, m.RequestDuration, m.InFlight, m.Refusals, m.Jobs, m.CacheLookups, m.Conversion, m.FastLane, m.DependencyUp,
		m.JobsRunning, m.JobAttempts, m.JobTakeovers, m.JobQueueWait,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
