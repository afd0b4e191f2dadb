package config

import (
	"regexp"
	"strings"
)

var hostPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// S3API configures the S3-compatible endpoint at <public URL>/s3
// (GATEWAY_S3_API_*), where SDKs sign requests with the gateway's access
// keys.
type S3API struct {
	// Region is the region clients sign for; SDKs must be set to it.
	Region string `env:"REGION" envDefault:"us-east-1"`
	// Debug adds the string to sign and the canonical request to
	// SignatureDoesNotMatch answers, as S3 does, to find what a client
	// signed differently. They carry no secret.
	Debug bool `env:"DEBUG" envDefault:"false"`
	// Host, when set, is a host name of the endpoint's own, such as
	// s3.example.com: SDKs then reach it with the endpoint
	// http(s)://s3.example.com and either addressing, path style or
	// virtual-host style (<bucket>.s3.example.com, which needs a wildcard
	// DNS record and, over HTTPS, a wildcard certificate).
	Host string `env:"HOST"`
	// MaxObjectBytes bounds one PutObject's body (S3's own limit is 5 GiB).
	MaxObjectBytes int64 `env:"MAX_OBJECT_BYTES" envDefault:"5368709120"`
}

func (s S3API) validate(bad func(name, format string, args ...any)) {
	if s.Region == "" || strings.ContainsAny(s.Region, " /\t") {
		bad("S3_API_REGION", "%q is not a region name", s.Region)
	}
	if s.Host != "" && !hostPattern.MatchString(s.Host) {
		bad("S3_API_HOST", "%q is not a host name such as s3.example.com (lower case, no port)", s.Host)
	}
	if s.MaxObjectBytes <= 0 {
		bad("S3_API_MAX_OBJECT_BYTES", "must be positive")
	}
}
