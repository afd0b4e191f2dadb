package app

import (
	"context"
	"encoding/json"

	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/jobs"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/signedurl"
)

// mountSignedURL adds the signed-URL bases (admin API) and the signed
// conversion URLs themselves, routed by each base's path. It needs the job
// service, so it mounts after mountJobs.
func (a *App) mountSignedURL(m *Mount) error {
	cfg := a.Config.SignedURL
	a.SignedURLBases = signedurl.NewRepo(a.Store)
	a.onClose(func() error { a.SignedURLBases.Close(); return nil })
	(&signedurl.API{Repo: a.SignedURLBases, PublicURL: a.Config.PublicURL, Now: a.now}).Register(m.Admin)

	opts := cache.Options{TTL: cfg.CacheTTL, Lease: cfg.LockLease, MaxEntries: cfg.CacheMaxEntries, Log: a.Log}
	if a.Redis != nil {
		c, err := cache.NewRedis(context.Background(), a.Redis, a.Config.RedisPrefix, opts)
		if err != nil {
			return err
		}
		a.ResultCache = c
	} else {
		a.ResultCache = cache.NewMemory(opts)
	}
	a.onClose(a.ResultCache.Close)

	h := &signedurl.Handler{
		Repo:         a.SignedURLBases,
		Runner:       jobRunner{a.Jobs},
		Cache:        a.ResultCache,
		Wait:         cfg.Wait,
		LocalCopyTTL: cfg.LocalCopyTTL,
		Debug:        cfg.Debug,
		Metrics:      a.Metrics,
	}
	m.Routes.Paths = append(m.Routes.Paths, h)
	m.Mux.Handle(signedurl.StatusPattern, h.StatusHandler())
	return nil
}

// jobRunner shows the job service to the signed-URL handler.
type jobRunner struct{ s *jobs.Service }

func (r jobRunner) Submit(spec *jobspec.Job) (signedurl.Job, error) {
	j, err := r.s.Submit(spec)
	if err != nil {
		return nil, err
	}
	return runningJob{j}, nil
}

func (r jobRunner) Lookup(ctx context.Context, id string) (json.RawMessage, bool, error) {
	st, ok, err := r.s.Get(ctx, id)
	if err != nil || !ok {
		return nil, ok, err
	}
	raw, err := json.Marshal(st)
	return raw, err == nil, err
}

type runningJob struct{ *jobs.Handle }

func (j runningJob) Status() signedurl.Status { return j.Handle.Status() }
