package app

import (
	"strings"

	"github.com/signedgate/gateway/internal/s3api"
)

// mountS3API adds access keys to the admin API and the S3-compatible
// endpoint at /s3. It reads objects through bucket delivery's origins, so
// it mounts after delivery.
func (a *App) mountS3API(m *Mount) error {
	a.AccessKeys = s3api.NewKeyRepo(a.Store)
	a.onClose(func() error { a.AccessKeys.Close(); return nil })
	(&s3api.KeyAPI{Repo: a.AccessKeys, Buckets: a.Buckets, Now: a.now}).Register(m.Admin)
	cfg := a.Config.S3API
	h := &s3api.Handler{
		Buckets:        a.Buckets,
		Keys:           a.AccessKeys,
		Origins:        a.origins,
		Stores:         &s3api.Stores{S3: a.s3Defaults(), CheckDir: a.OriginGuard.CheckDir},
		Region:         cfg.Region,
		Host:           cfg.Host,
		Debug:          cfg.Debug,
		MaxObjectBytes: cfg.MaxObjectBytes,
		CacheControl:   strings.TrimSpace(a.Config.Delivery.AuthenticatedCacheControl),
		Now:            a.now,
		Refusals:       a.Metrics.Refusals,
	}
	m.Routes.Hosts = append(m.Routes.Hosts, h.Router())
	return nil
}
