package config

import "time"

// SignedURL configures signed conversion URLs (GATEWAY_SIGNED_URL_*).
type SignedURL struct {
	// Wait is how long a request waits for its job before it is answered
	// 202 with the job's status; asking again later joins the job.
	Wait time.Duration `env:"WAIT" envDefault:"30s"`
	// CacheTTL is how long the result of a URL with a cache_key is kept.
	CacheTTL time.Duration `env:"CACHE_TTL" envDefault:"24h"`
	// LockLease is how long a running job's lock outlives an instance that
	// stopped renewing it (a crash) before another instance may run it.
	LockLease time.Duration `env:"LOCK_LEASE" envDefault:"15s"`
	// LocalCopyTTL is how long an instance may answer a link from its own
	// copy of the link's result while Redis cannot be read; 0 turns it off.
	LocalCopyTTL time.Duration `env:"LOCAL_COPY_TTL" envDefault:"10m"`
	// CacheMaxEntries bounds the in-memory result cache (embedded mode).
	CacheMaxEntries int `env:"CACHE_MAX_ENTRIES" envDefault:"10000"`
	// Debug adds the string the gateway signed to signature refusals.
	Debug bool `env:"DEBUG" envDefault:"false"`
}

func (s SignedURL) validate(bad func(name, format string, args ...any)) {
	if s.Wait <= 0 || s.Wait > 10*time.Minute {
		bad("SIGNED_URL_WAIT", "must be a duration between 1ms and 10m, such as 30s")
	}
	if s.CacheTTL < time.Minute {
		bad("SIGNED_URL_CACHE_TTL", "must be at least 1m, such as 24h")
	}
	if s.LockLease < time.Second {
		bad("SIGNED_URL_LOCK_LEASE", "must be at least 1s, such as 15s")
	}
	if s.LocalCopyTTL < 0 || s.LocalCopyTTL >= s.CacheTTL {
		bad("SIGNED_URL_LOCAL_COPY_TTL", "must be 0 (off) or a duration shorter than SIGNED_URL_CACHE_TTL, such as 10m")
	}
	if s.CacheMaxEntries < 1 {
		bad("SIGNED_URL_CACHE_MAX_ENTRIES", "must be positive")
	}
}
