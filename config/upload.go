package config

import "time"

// Upload configures the Cloudinary-compatible upload endpoint.
type Upload struct {
	// MaxBytes caps one uploaded file (and the assembled file of a chunked
	// upload).
	MaxBytes int64 `env:"MAX_BYTES" envDefault:"104857600"`
	// AllowSignatureV1 accepts the unescaped string to sign of older SDKs
	// when the current (version 2) one does not match. Off by default: in
	// a version 1 string an "&" inside a value re-splits it, so a value
	// signed for one parameter can pose as several (a compatibility switch
	// for clients that cannot be upgraded).
	AllowSignatureV1 bool `env:"ALLOW_SIGNATURE_V1" envDefault:"false"`
	// ChunkTimeout is how long the parts of an unfinished chunked upload
	// are kept after their last chunk arrived.
	ChunkTimeout time.Duration `env:"CHUNK_TIMEOUT" envDefault:"1h"`
}

func (u Upload) validate(bad func(name, format string, args ...any)) {
	if u.MaxBytes <= 0 {
		bad("UPLOAD_MAX_BYTES", "must be positive")
	}
	if u.ChunkTimeout <= 0 {
		bad("UPLOAD_CHUNK_TIMEOUT", "must be a positive duration such as 1h")
	}
}
