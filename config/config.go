// Package config owns the gateway's one configuration struct: it is read once
// from GATEWAY_* environment variables and validated as a whole, so that every
// bad value is reported at start, all at once, naming its variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is everything the gateway can be told from its environment.
type Config struct {
	// Addr is the listen address of the HTTP server.
	Addr string `env:"ADDR" envDefault:":8080"`
	// PublicURL is the absolute URL users reach the gateway at; it is used in
	// redirects and links. Empty means http://localhost:<port of Addr>.
	PublicURL string `env:"PUBLIC_URL"`
	// DataDir holds the embedded record store, the generated admin token and
	// output files.
	DataDir string `env:"DATA_DIR" envDefault:"./data"`

	// RedisURL switches the gateway from embedded mode to shared mode.
	RedisURL    string `env:"REDIS_URL"`
	RedisMode   string `env:"REDIS_MODE" envDefault:"single"`
	RedisPrefix string `env:"REDIS_PREFIX" envDefault:"gateway:"`
	// RedisClient bounds how long a request waits for Redis.
	RedisClient RedisClient `envPrefix:"REDIS_"`

	// AdminToken, AdminTokens and AdminTokenFile are the tokens /v1
	// admits, every one of them, so that a new token can be rolled in
	// before the old one is removed (admintoken.go). With none of them, an
	// embedded gateway generates one and keeps it in the data directory.
	AdminToken  string   `env:"ADMIN_TOKEN"`
	AdminTokens []string `env:"ADMIN_TOKENS"`
	// AdminTokenFile holds one token a line; it is read again while the
	// gateway runs, so tokens are rotated without a restart.
	AdminTokenFile string `env:"ADMIN_TOKEN_FILE"`

	// PprofAddr, when set, serves Go's profiler (net/http/pprof) on its own
	// listener, such as 127.0.0.1:6060. Keep it off public interfaces.
	PprofAddr string `env:"PPROF_ADDR"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`
	// AccessLogSample is the fraction, 0 to 1, of successful requests
	// (status below 400, redirects included) whose access log line is
	// written; errors and refusals are always logged.
	AccessLogSample float64 `env:"ACCESS_LOG_SAMPLE" envDefault:"1"`

	ReadHeaderTimeout time.Duration `env:"READ_HEADER_TIMEOUT" envDefault:"10s"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"120s"`
	ShutdownTimeout   time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"30s"`
	MaxHeaderBytes    int           `env:"MAX_HEADER_BYTES" envDefault:"65536"`
	// FastLane answers signed links whose result is cached straight on the
	// connection, ahead of net/http (see internal/fastlane).
	FastLane bool `env:"FAST_LANE" envDefault:"true"`
	// MaxAdminBodyBytes caps JSON bodies of the admin API.
	MaxAdminBodyBytes int64 `env:"MAX_ADMIN_BODY_BYTES" envDefault:"1048576"`

	// Fetch limits every fetch of a user-supplied URL (job imports, website
	// captures, uploads by URL).
	Fetch Fetch `envPrefix:"FETCH_"`
	// Upload configures signed uploads (Cloudinary-compatible).
	Upload Upload `envPrefix:"UPLOAD_"`

	// Delivery configures authenticated bucket delivery.
	Delivery Delivery `envPrefix:"DELIVERY_"`

	// S3 holds the defaults of S3-compatible storage.
	S3 S3 `envPrefix:"S3_"`

	// S3API configures the S3-compatible endpoint (/s3).
	S3API S3API `envPrefix:"S3_API_"`

	// Origin tunes the connections to buckets' HTTP origins.
	Origin Origin `envPrefix:"ORIGIN_"`

	// Engines configures the conversion engines (GATEWAY_ENGINES_*).
	Engines Engines `envPrefix:"ENGINES_"`

	// SignedURL configures signed conversion URLs.
	SignedURL SignedURL `envPrefix:"SIGNED_URL_"`

	// Jobs bounds conversion jobs and keeps their outputs.
	Jobs Jobs `envPrefix:"JOBS_"`

	// TLS configures the HTTPS listener and its certificates
	// (GATEWAY_TLS_* and GATEWAY_ACME*, named in full on its fields).
	TLS TLS `envPrefix:""`
}

// Fetch is the policy for fetching user-supplied URLs. Private, loopback,
// link-local and similar addresses are refused unless allowed here.
type Fetch struct {
	AllowCIDRs   []string      `env:"ALLOW_CIDRS"`
	AllowHosts   []string      `env:"ALLOW_HOSTS"`
	MaxBytes     int64         `env:"MAX_BYTES" envDefault:"1073741824"`
	Timeout      time.Duration `env:"TIMEOUT" envDefault:"5m"`
	MaxRedirects int           `env:"MAX_REDIRECTS" envDefault:"5"`
}

func (f Fetch) validate(bad func(name, format string, args ...any)) {
	for _, c := range f.AllowCIDRs {
		if _, err := netip.ParsePrefix(strings.TrimSpace(c)); err != nil {
			bad("FETCH_ALLOW_CIDRS", "%q is not a CIDR such as 10.0.0.0/8", c)
		}
	}
	if f.MaxBytes <= 0 {
		bad("FETCH_MAX_BYTES", "must be positive")
	}
	if f.Timeout <= 0 {
		bad("FETCH_TIMEOUT", "must be a positive duration")
	}
	if f.MaxRedirects < 0 || f.MaxRedirects > 20 {
		bad("FETCH_MAX_REDIRECTS", "must be between 0 and 20")
	}
}

// Prefixes parses AllowCIDRs (validated by Load).
func (f Fetch) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, c := range f.AllowCIDRs {
		if p, err := netip.ParsePrefix(strings.TrimSpace(c)); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Prefix is the prefix of every environment variable the gateway reads.
const Prefix = "GATEWAY_"

// Load reads the configuration from the process environment.
func Load() (Config, error) {
	return LoadFrom(nil)
}

// LoadFrom reads the configuration from environ (KEY=VALUE strings); a nil
// environ means the process environment.
func LoadFrom(environ map[string]string) (Config, error) {
	var c Config
	opts := env.Options{Prefix: Prefix}
	if environ != nil {
		opts.Environment = environ
	}
	lookup := os.LookupEnv
	if environ != nil {
		lookup = func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	}
	var problems []error
	if err := env.ParseWithOptions(&c, opts); err != nil {
		var agg env.AggregateError
		if errors.As(err, &agg) {
			for _, e := range agg.Errors {
				problems = append(problems, nameParseError(e, lookup))
			}
		} else {
			problems = append(problems, nameParseError(err, lookup))
		}
	}
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return c, &Error{Problems: problems}
	}
	if c.PublicURL == "" {
		c.PublicURL = defaultPublicURL(c.Addr)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	// A cached redirect must never outlive the file it points at.
	c.SignedURL.CacheTTL = min(c.SignedURL.CacheTTL, c.Jobs.OutputTTL)
	return c, nil
}

// Error lists every problem found in the configuration.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return "invalid configuration:\n  " + strings.Join(msgs, "\n  ")
}

func (e *Error) Unwrap() []error { return e.Problems }

func (c *Config) validate() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", Prefix, name, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("ADDR", "want host:port such as :8080, got %q", c.Addr)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("PUBLIC_URL", "want an absolute http(s) URL without query, got %q", c.PublicURL)
		}
	}
	if c.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(c.PprofAddr); err != nil {
			bad("PPROF_ADDR", "want host:port such as 127.0.0.1:6060, got %q", c.PprofAddr)
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		bad("DATA_DIR", "must not be empty")
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			bad("REDIS_URL", "want redis://, rediss:// or unix:// URL")
		}
	}
	switch c.RedisMode {
	case "single", "cluster", "sentinel":
	default:
		bad("REDIS_MODE", "want single, cluster or sentinel, got %q", c.RedisMode)
	}
	c.validateAdminTokens(bad)
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		bad("LOG_LEVEL", "%v", err)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("LOG_FORMAT", "want json or text, got %q", c.LogFormat)
	}
	if !(c.AccessLogSample >= 0 && c.AccessLogSample <= 1) {
		bad("ACCESS_LOG_SAMPLE", "want a fraction from 0 to 1 such as 0.01 (1 logs every request, 0 only errors and refusals), got %v", c.AccessLogSample)
	}
	positive := map[string]time.Duration{
		"READ_HEADER_TIMEOUT": c.ReadHeaderTimeout,
		"IDLE_TIMEOUT":        c.IdleTimeout,
		"SHUTDOWN_TIMEOUT":    c.ShutdownTimeout,
	}
	for _, name := range []string{"READ_HEADER_TIMEOUT", "IDLE_TIMEOUT", "SHUTDOWN_TIMEOUT"} {
		if positive[name] <= 0 {
			bad(name, "must be a positive duration such as 10s")
		}
	}
	if c.MaxHeaderBytes < 4096 {
		bad("MAX_HEADER_BYTES", "must be at least 4096")
	}
	if c.MaxAdminBodyBytes < 1024 {
		bad("MAX_ADMIN_BODY_BYTES", "must be at least 1024")
	}
	c.RedisClient.validate(bad)
	c.Fetch.validate(bad)
	c.S3API.validate(bad)
	c.Upload.validate(bad)
	c.Delivery.validate(bad)
	c.S3.validate(bad)
	c.Origin.validate(bad)
	c.Engines.validate(bad)
	c.SignedURL.validate(bad)
	c.TLS.validate(c.Addr, bad)

	c.Jobs.validate(bad)
	if c.Embedded() && c.Jobs.WorkerCount() == 0 {
		bad("JOBS_WORKERS", "0 needs GATEWAY_REDIS_URL: without a shared queue, no other process runs this instance's jobs")
	}
	return errs
}

// Embedded reports whether the gateway runs without Redis.
func (c *Config) Embedded() bool { return c.RedisURL == "" }

// ParseLogLevel maps debug, info, warn and error to slog levels.
func ParseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("want debug, info, warn or error, got %q", s)
	}
	return l, nil
}

func defaultPublicURL(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		port = "8080"
	}
	return "http://localhost:" + port
}
