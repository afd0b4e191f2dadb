package config

import (
	"strings"
	"time"
)

// Delivery configures authenticated bucket delivery: signing keys, tokens,
// the verified-token cache, HLS support and caching of authorised answers.
type Delivery struct {
	// KeyBits is the size of RSA keys made by POST /v1/signing-keys.
	KeyBits int `env:"KEY_BITS" envDefault:"2048"`
	// Leeway is allowed on a token's exp and nbf for clock skew; 0 allows none.
	Leeway time.Duration `env:"LEEWAY" envDefault:"30s"`
	// TokenCacheSize bounds the number of verified tokens remembered.
	TokenCacheSize int `env:"TOKEN_CACHE_SIZE" envDefault:"65536"`
	// TokenCacheMaxAge bounds how long a verified token skips the RSA check.
	TokenCacheMaxAge time.Duration `env:"TOKEN_CACHE_MAX_AGE" envDefault:"10m"`
	// RewritePlaylists makes .m3u8 answers carry the token on relative
	// child URIs, for players that do not keep cookies.
	RewritePlaylists bool `env:"REWRITE_PLAYLISTS" envDefault:"true"`
	// MaxPlaylistBytes bounds a playlist held in memory for rewriting;
	// larger ones are passed through unchanged.
	MaxPlaylistBytes int64 `env:"MAX_PLAYLIST_BYTES" envDefault:"4194304"`
	// AuthenticatedCacheControl is the Cache-Control of answers authorised
	// by a token, unless the origin's own is private or no-store.
	AuthenticatedCacheControl string `env:"AUTHENTICATED_CACHE_CONTROL" envDefault:"private"`
}

func (d Delivery) validate(bad func(name, format string, args ...any)) {
	if d.KeyBits < 2048 || d.KeyBits > 8192 {
		bad("DELIVERY_KEY_BITS", "must be between 2048 and 8192, got %d", d.KeyBits)
	}
	if d.Leeway < 0 || d.Leeway > 10*time.Minute {
		bad("DELIVERY_LEEWAY", "must be between 0s and 10m, got %s", d.Leeway)
	}
	if d.TokenCacheSize < 1 {
		bad("DELIVERY_TOKEN_CACHE_SIZE", "must be positive")
	}
	if d.TokenCacheMaxAge <= 0 {
		bad("DELIVERY_TOKEN_CACHE_MAX_AGE", "must be a positive duration")
	}
	if d.MaxPlaylistBytes < 1024 {
		bad("DELIVERY_MAX_PLAYLIST_BYTES", "must be at least 1024")
	}
	cc := strings.TrimSpace(d.AuthenticatedCacheControl)
	if cc == "" || strings.ContainsAny(cc, "\r\n") {
		bad("DELIVERY_AUTHENTICATED_CACHE_CONTROL", "must be a Cache-Control value such as \"private\"")
	}
}
