package app

import (
	"context"
	"net/http"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/jobs"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/server"
)

// mountJobs builds the engine registry, the output store with its signed
// file route, and the job service; GET /v1/formats lists what the engines
// can do.
func (a *App) mountJobs(m *Mount) error {
	cfg := a.Config.Jobs
	a.Engines = engine.NewRegistry()
	a.registerEngines(a.Engines)
	a.onClose(a.Engines.Close)

	secrets, err := outputs.OpenSecrets(context.Background(), outputs.SecretsConfig{
		Configured: cfg.OutputSecret,
		Previous:   cfg.PreviousOutputSecrets(),
		Redis:      a.Redis,
		Prefix:     a.Config.RedisPrefix,
		DataDir:    a.Config.DataDir,
		TTL:        cfg.OutputTTL,
		Log:        a.Log,
	})
	if err != nil {
		return err
	}
	// Registered before the store, so it closes after it.
	a.onClose(secrets.Close)
	var backend outputs.Backend = outputs.Dir{Root: cfg.OutputPath(a.Config.DataDir)}
	if bucket, prefix, ok := cfg.OutputS3(); ok {
		s3cfg := a.s3Defaults()
		s3cfg.Bucket, s3cfg.Prefix = bucket, prefix
		store, err := objects.NewS3(context.Background(), s3cfg)
		if err != nil {
			return err
		}
		backend = outputs.S3Backend{Store: store}
	}
	a.Outputs, err = outputs.New(outputs.Config{
		Backend:   backend,
		Presigned: cfg.OutputRedirect == "presigned",
		PublicURL: a.Config.PublicURL,
		Secrets:   secrets,
		TTL:       cfg.OutputTTL,
		Now:       a.now,
		Log:       a.Log,
	})
	if err != nil {
		return err
	}
	a.onClose(a.Outputs.Close)
	// A GET pattern also answers HEAD.
	m.Mux.Handle("GET /outputs/{id}/{name}", a.Outputs.Handler())

	a.Jobs = jobs.NewService(jobs.Config{
		Workers:     cfg.WorkerCount(),
		QueueSize:   cfg.QueueSize,
		TaskTimeout: cfg.TaskTimeout,
		JobTimeout:  cfg.JobTimeout,
		WorkDir:     cfg.WorkDir,
	}, jobs.Deps{
		Registry: a.Engines,
		Fetch:    a.Fetch,
		Outputs:  a.Outputs,
		Metrics:  a.Metrics,
		Now:      a.now,
		Log:      a.Log,
	})
	// Registered after the store and engines, so it closes first: running
	// jobs end before what they use goes away.
	a.onClose(func() error { a.Jobs.Close(); return nil })

	m.Admin.Handle("GET /v1/formats", func(w http.ResponseWriter, r *http.Request) error {
		server.WriteJSON(w, http.StatusOK, map[string]any{"formats": a.Engines.Formats()})
		return nil
	})
	return nil
}
