package app

import (
	"context"
	"path/filepath"
	"time"

	"github.com/signedgate/gateway/internal/upload"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/upload/delivery"
)

// mountUpload adds upload API keys and presets to the admin API and the
// Cloudinary-compatible upload endpoint. It needs the buckets, so it mounts
// after them.
func (a *App) mountUpload(m *Mount) error {
	keys := upload.NewKeyRepo(a.Store)
	presets := upload.NewPresetRepo(a.Store)
	a.onClose(func() error { keys.Close(); presets.Close(); return nil })
	(&upload.AdminAPI{Keys: keys, Presets: presets, Buckets: a.Buckets, Now: a.now}).Register(m.Admin)
	// The upload service and delivery share their S3 clients.
	stores := &assets.Stores{S3: a.s3Defaults()}
	svc := &upload.Service{
		Keys:         keys,
		Presets:      presets,
		Buckets:      a.Buckets,
		Fetch:        a.Fetch,
		Now:          a.now,
		PublicURL:    a.Config.PublicURL,
		MaxBytes:     a.Config.Upload.MaxBytes,
		AllowV1:      a.Config.Upload.AllowSignatureV1,
		WorkDir:      filepath.Join(a.Config.DataDir, "uploads"),
		ChunkTimeout: a.Config.Upload.ChunkTimeout,
		Refusals:     a.Metrics.Refusals,
		Stores:       stores,
	}
	svc.Register(m.Mux)
	// Abandoned chunked uploads are swept a few times per timeout.
	ctx, cancel := context.WithCancel(context.Background())
	go svc.RunJanitor(ctx, min(svc.ChunkTimeout/4, time.Minute))
	a.onClose(func() error { cancel(); return nil })
	// Delivery URLs start with a wildcard (the cloud name), which would
	// conflict with other mux patterns, so they are a Paths router.
	m.Routes.Paths = append(m.Routes.Paths, &delivery.Router{Keys: keys, Buckets: a.Buckets, Stores: stores, Refusals: a.Metrics.Refusals})
	return nil
}
