// Package metrics holds the service's Prometheus collectors.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors, registered on their own registry.
type Metrics struct {
	Registry *prometheus.Registry

	Requests     *prometheus.CounterVec
	Duration     *prometheus.HistogramVec
	InFlight     prometheus.Gauge
	Events       *prometheus.CounterVec
	CacheHits    *prometheus.CounterVec
	JobsDone     *prometheus.CounterVec
	JobDuration  *prometheus.HistogramVec
	BreakerState *prometheus.GaugeVec
}

// New makes and registers the collectors for service name.
func New(name string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: name, Name: "http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: name, Name: "http_request_duration_seconds", Help: "HTTP request latency.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}, []string{"route", "method"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: name, Name: "http_in_flight_requests", Help: "Requests being served.",
		}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: name, Name: "events_total", Help: "Events published or consumed, by type and outcome.",
		}, []string{"type", "outcome"}),
		CacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: name, Name: "cache_lookups_total", Help: "Cache lookups by tier and result.",
		}, []string{"tier", "result"}),
		JobsDone: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: name, Name: "jobs_total", Help: "Worker jobs by kind and outcome.",
		}, []string{"kind", "outcome"}),
		JobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: name, Name: "job_duration_seconds", Help: "Worker job duration.",
			Buckets: prometheus.DefBuckets,
		}, []string{"kind"}),
		BreakerState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: name, Name: "circuit_breaker_state", Help: "0 closed, 1 half-open, 2 open.",
		}, []string{"name"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Requests, m.Duration, m.InFlight, m.Events, m.CacheHits, m.JobsDone, m.JobDuration, m.BreakerState,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Observe records one request.
func (m *Metrics) Observe(route, method string, status int, d time.Duration) {
	m.Requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.Duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Job records one worker job.
func (m *Metrics) Job(kind string, err error, d time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.JobsDone.WithLabelValues(kind, outcome).Inc()
	m.JobDuration.WithLabelValues(kind).Observe(d.Seconds())
}
