package config

import "time"

// Origin tunes how the gateway reaches buckets' HTTP origins.
type Origin struct {
	// ResponseHeaderTimeout bounds the wait for an upstream's response
	// headers (504 UPSTREAM_TIMEOUT after it); bodies then stream without
	// a deadline.
	ResponseHeaderTimeout time.Duration `env:"RESPONSE_HEADER_TIMEOUT" envDefault:"30s"`
	// DialTimeout bounds connecting to an upstream.
	DialTimeout time.Duration `env:"DIAL_TIMEOUT" envDefault:"5s"`
	// TLSHandshakeTimeout bounds the TLS handshake with an https upstream.
	TLSHandshakeTimeout time.Duration `env:"TLS_HANDSHAKE_TIMEOUT" envDefault:"10s"`
	// IdleConnTimeout closes idle upstream connections after this long.
	IdleConnTimeout time.Duration `env:"IDLE_CONN_TIMEOUT" envDefault:"90s"`
	// MaxIdleConnsPerHost is how many idle connections are kept per
	// upstream host.
	MaxIdleConnsPerHost int `env:"MAX_IDLE_CONNS_PER_HOST" envDefault:"32"`
}

func (o Origin) validate(bad func(name, format string, args ...any)) {
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"ORIGIN_RESPONSE_HEADER_TIMEOUT", o.ResponseHeaderTimeout},
		{"ORIGIN_DIAL_TIMEOUT", o.DialTimeout},
		{"ORIGIN_TLS_HANDSHAKE_TIMEOUT", o.TLSHandshakeTimeout},
		{"ORIGIN_IDLE_CONN_TIMEOUT", o.IdleConnTimeout},
	}
	for _, d := range durations {
		if d.d <= 0 {
			bad(d.name, "must be a positive duration such as 5s, got %s", d.d)
		}
	}
	if o.MaxIdleConnsPerHost < 1 || o.MaxIdleConnsPerHost > 10000 {
		bad("ORIGIN_MAX_IDLE_CONNS_PER_HOST", "must be between 1 and 10000, got %d", o.MaxIdleConnsPerHost)
	}
}
