package config

import "time"

// RedisClient tunes the connection to Redis (GATEWAY_REDIS_*). Requests wait
// for Redis at most about (MAX_RETRIES+1) × (DIAL_TIMEOUT + READ_TIMEOUT)
// before they are answered 503; once a command has found Redis down, every
// request is answered at once until a background probe sees it back.
type RedisClient struct {
	DialTimeout  time.Duration `env:"DIAL_TIMEOUT" envDefault:"500ms"`
	ReadTimeout  time.Duration `env:"READ_TIMEOUT" envDefault:"500ms"`
	WriteTimeout time.Duration `env:"WRITE_TIMEOUT" envDefault:"500ms"`
	// MaxRetries is how many times a command that failed on its connection
	// is tried again.
	MaxRetries int `env:"MAX_RETRIES" envDefault:"1"`
}

func (r RedisClient) validate(bad func(name, format string, args ...any)) {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"REDIS_DIAL_TIMEOUT", r.DialTimeout}, {"REDIS_READ_TIMEOUT", r.ReadTimeout}, {"REDIS_WRITE_TIMEOUT", r.WriteTimeout}} {
		if d.v < time.Millisecond || d.v > time.Minute {
			bad(d.name, "must be a duration between 1ms and 1m, such as 500ms")
		}
	}
	if r.MaxRetries < 0 || r.MaxRetries > 10 {
		bad("REDIS_MAX_RETRIES", "must be between 0 and 10")
	}
}
