package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/jobs"
	"github.com/signedgate/gateway/internal/jobstate"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/outputs"
	"github.com/signedgate/gateway/internal/queue"
	"github.com/signedgate/gateway/internal/server"
)

// How often a worker process announces itself, and how long an
// announcement lasts: a worker that stops is out of /v1/formats within
// announceTTL.
const (
	announceEvery = 5 * time.Second
	announceTTL   = 15 * time.Second
)

// mountJobs builds the engine registry (none on an instance that runs no
// jobs), the output store with its signed file route, the job queue and
// job states (Redis when configured, else in-process), and the job service;
// GET /v1/formats lists what the engines of the live workers can do, and
// GET /v1/jobs/{id} a job's status.
func (a *App) mountJobs(m *Mount) error {
	cfg := a.Config.Jobs
	workers := cfg.WorkerCount()
	a.Engines = engine.NewRegistry()
	if workers > 0 {
		a.registerEngines(a.Engines)
	}
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

	var (
		q      queue.Queue
		states jobstate.Store
	)
	if a.Redis != nil {
		q = queue.NewRedis(a.Redis, a.Config.RedisPrefix, cfg.Lease, int64(cfg.QueueSize))
		states = jobstate.NewRedis(a.Redis, a.Config.RedisPrefix, a.Log)
		a.Roster = queue.NewRedisRoster(a.Redis, a.Config.RedisPrefix)
	} else {
		q = queue.NewMemory(cfg.Lease, int64(cfg.QueueSize+workers))
		states = jobstate.NewMemory()
		a.Roster = queue.NewMemoryRoster()
	}
	a.onClose(states.Close)
	a.Jobs = jobs.NewService(jobs.Config{
		Workers:     workers,
		QueueSize:   cfg.QueueSize,
		TaskTimeout: cfg.TaskTimeout,
		JobTimeout:  cfg.JobTimeout,
		WorkDir:     cfg.WorkDir,
		Lease:       cfg.Lease,
		MaxAttempts: cfg.MaxAttempts,
		Name:        "gateway-" + a.InstanceID,
	}, jobs.Deps{
		Registry: a.Engines,
		Catalog:  engineCatalog(),
		Fetch:    a.Fetch,
		Outputs:  a.Outputs,
		Queue:    q,
		States:   states,
		Metrics:  a.Metrics,
		Now:      a.now,
		Log:      a.Log,
	})
	// Registered after the store and engines, so it closes first: running
	// jobs end before what they use goes away.
	a.onClose(func() error { a.Jobs.Close(); return nil })
	if workers > 0 {
		a.announce()
	}
	a.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gateway_jobs_queue_depth",
		Help: "Jobs queued or running, on the queue this instance uses (shared with Redis).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := q.Depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))

	if a.worker {
		return nil // no public or admin routes: only health and metrics
	}
	// A GET pattern also answers HEAD.
	m.Mux.Handle("GET /outputs/{id}/{name}", a.Outputs.Handler())
	m.Mux.Handle("OPTIONS /outputs/{id}/{name}", a.Outputs.PreflightHandler())
	m.Admin.Handle("GET /v1/formats", func(w http.ResponseWriter, r *http.Request) error {
		formats, err := a.formats(r.Context())
		if err != nil {
			return err
		}
		server.WriteJSON(w, http.StatusOK, map[string]any{"formats": formats})
		return nil
	})
	m.Admin.Handle("GET /v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) error {
		st, ok, err := a.Jobs.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
				"job states cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
		}
		if !ok {
			return server.Errorf(http.StatusNotFound, server.CodeNotFound, "no job %q (ended jobs are kept for an hour)", r.PathValue("id"))
		}
		server.WriteJSON(w, http.StatusOK, map[string]any{"data": st})
		return nil
	})
	return nil
}

// formats is what the engines of every live worker can do, this
// instance's own included.
func (a *App) formats(ctx context.Context) ([]engine.Conversion, error) {
	lists := [][]engine.Conversion{a.Engines.Formats()}
	live, err := a.Roster.Live(ctx)
	if err != nil {
		return nil, server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
			"the list of workers cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
	}
	for _, w := range live {
		var list []engine.Conversion
		if err := json.Unmarshal(w.Formats, &list); err != nil {
			a.Log.Warn("a worker announced formats that cannot be read", "worker", w.ID, "err", err)
			continue
		}
		lists = append(lists, list)
	}
	return engine.MergeFormats(lists...), nil
}

// announce tells the other instances, every announceEvery, that this
// instance runs jobs and what its engines can do, until it closes.
func (a *App) announce() {
	formats, _ := json.Marshal(a.Engines.Formats())
	id := "gateway-" + a.InstanceID
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(announceEvery)
		defer t.Stop()
		for {
			c, cancelOne := context.WithTimeout(ctx, announceEvery)
			err := a.Roster.Announce(c, queue.Worker{
				ID: id, Host: hostname(), Families: a.Engines.Families(), Formats: formats,
				Slots: a.Jobs.Workers(), Running: a.Jobs.Running(),
			}, announceTTL)
			cancelOne()
			if err != nil && ctx.Err() == nil {
				a.Log.Debug("announce this worker", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	// Registered after the job service, so it runs before it closes: the
	// instance stops being listed first.
	a.onClose(func() error {
		cancel()
		<-done
		c, cancelLeave := context.WithTimeout(context.Background(), time.Second)
		defer cancelLeave()
		_ = a.Roster.Leave(c, id)
		return nil
	})
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
