package config

import (
	"net/url"
	"strings"
)

// S3 holds the defaults of S3-compatible storage (GATEWAY_S3_*): what a
// bucket's "s3" settings do not say. Credentials come from the standard AWS
// chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the
// shared files, container and instance roles); AWS_REGION also works.
type S3 struct {
	// Endpoint is the server's URL for S3-compatible storage; empty: AWS.
	Endpoint string `env:"ENDPOINT"`
	Region   string `env:"REGION"`
	// ForcePathStyle addresses buckets as <endpoint>/<bucket>.
	ForcePathStyle bool `env:"FORCE_PATH_STYLE" envDefault:"false"`
	// AccessKeyID and SecretAccessKey, when set, are the gateway's own
	// credentials (outputs, and buckets without their own); empty: the
	// AWS chain.
	AccessKeyID     string `env:"ACCESS_KEY_ID"`
	SecretAccessKey string `env:"SECRET_ACCESS_KEY"`
}

func (s S3) validate(bad func(name, format string, args ...any)) {
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			bad("S3_ENDPOINT", "want an http(s) URL with a host and no credentials, such as https://s3.example.com")
		}
	}
	if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
		bad("S3_ACCESS_KEY_ID", "GATEWAY_S3_ACCESS_KEY_ID and GATEWAY_S3_SECRET_ACCESS_KEY go together")
	}
	if strings.ContainsAny(s.Region, " /") {
		bad("S3_REGION", "%q is not a region name", s.Region)
	}
}
