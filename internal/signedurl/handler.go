package signedurl

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// RouteName names signed-URL requests in metrics.
const RouteName = "signed-url"

// CodeUnsupportedOperation refuses a job with an operation of the API
// that the gateway does not run, before any task starts. (An unknown base
// path is not claimed at all: the server's own 404 answers it.)
const CodeUnsupportedOperation = "UNSUPPORTED_OPERATION"

// Handler answers signed conversion URLs. As a server.Router it claims GET
// and HEAD requests whose path is exactly a base's path, and CORS
// preflights for that path (cors.go).
type Handler struct {
	Repo   *Repo
	Runner Runner
	// Cache keeps results of URLs with a cache_key.
	Cache *cache.Cache
	// Wait is how long a request waits for its job before it is answered
	// 202 with the job's status.
	Wait time.Duration
	// LocalCopyTTL is how long this instance may answer a link from its own
	// copy of the link's result while the result cache cannot be read (see
	// localCopy); 0 turns the copy off.
	LocalCopyTTL time.Duration
	// Debug adds the string the gateway signed to signature refusals.
	Debug   bool
	Metrics *server.Metrics

	memo    jobMemo
	answers answerMemo
	local   localCopy
	hits    atomic.Pointer[prometheus.Counter] // CacheLookups{signed_url, hit}
}

// Route implements server.Router.
func (h *Handler) Route(r *http.Request) (http.Handler, string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return h.routePreflight(r)
	}
	b, ok, err := h.Repo.ByPath(r.Context(), r.URL.Path)
	if err != nil {
		return server.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
				"signed-URL bases cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
		}), RouteName
	}
	if !ok {
		return nil, ""
	}
	return server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return h.serve(w, r, b)
	}), RouteName
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, b Base) error {
	allowOrigin(w, r, b)
	checked, q, err := h.check(r, b)
	if err != nil {
		return err
	}
	var (
		e   cache.Entry
		src cache.Source
	)
	if q.Cached() {
		key := cache.Key{Base: b.ID, CacheKey: q.CacheKey, JobHash: checked.hash}
		// The generation is read before the result, as in FastRoute.
		gen := h.Repo.generation()
		e, src, err = h.Cache.Do(r.Context(), key, h.Wait, func() (cache.Job, error) {
			job, err := checked.fresh()
			if err != nil {
				return nil, err
			}
			j, err := h.Runner.Submit(job)
			if err != nil {
				return nil, err
			}
			return cacheJob{j}, nil
		})
		switch {
		case err == nil:
			h.local.put(key, gen, time.Now(), e, h.LocalCopyTTL)
		case errors.Is(err, cache.ErrBackend):
			if le, ok := h.local.get(key, gen, time.Now()); ok {
				e, src, err = le, cache.Local, nil
			}
		}
		if err == nil && h.Metrics != nil {
			h.Metrics.CacheLookups.WithLabelValues("signed_url", string(src)).Inc()
		}
	} else {
		var job *jobspec.Job
		if job, err = checked.fresh(); err == nil {
			e, err = h.runUncached(r.Context(), job)
		}
	}
	if err != nil {
		if errors.Is(err, cache.ErrBackend) {
			return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
				"the result cache is unavailable; retry shortly").WithHeader("Retry-After", "1")
		}
		if errors.Is(err, context.Canceled) {
			return nil // the client left; the job goes on
		}
		return err
	}
	if src != "" {
		w.Header().Set("X-Cache", string(src))
	}
	if e.Location == "" && (!e.Final || e.HTTPStatus >= 400) && wantsPage(r) {
		if job, err := checked.fresh(); err == nil {
			h.page(w, r, b, e, job)
			return nil
		}
	}
	respond(w, e)
	return nil
}

// check runs the cheap checks first and the signature before anything
// reads the job: nothing of an unsigned URL is decoded.
func (h *Handler) check(r *http.Request, b Base) (*checkedJob, urlsig.Query, error) {
	// The raw query: form decoding would turn Node's "+" into a space.
	q, err := urlsig.Parse(r.URL.RawQuery)
	if err != nil {
		return nil, q, h.refuse(err)
	}
	if err := b.verify(q); err != nil {
		return nil, q, h.refuseSignature(err, b, q)
	}
	c, err := h.checkJob(q.Job)
	if err != nil {
		return nil, q, h.refuse(err)
	}
	return c, q, nil
}

// checkJob decodes, validates and hashes a signed job, or finds it among
// the jobs checked before.
func (h *Handler) checkJob(rawJob string) (*checkedJob, error) {
	if c := h.memo.get(rawJob); c != nil {
		return c, nil
	}
	raw, err := urlsig.DecodeJob(rawJob)
	if err != nil {
		return nil, err
	}
	job, err := jobspec.Decode(raw)
	if err != nil {
		return nil, err
	}
	if err := jobspec.Validate(job); err != nil {
		return nil, err
	}
	for _, t := range job.Tasks {
		if !jobspec.Supported(t.Operation) {
			return nil, server.Errorf(http.StatusUnprocessableEntity, CodeUnsupportedOperation,
				"task %q: operation %q is not supported by this gateway", t.Name, t.Operation)
		}
	}
	hash, err := jobspec.Hash(job)
	if err != nil {
		return nil, err
	}
	c := &checkedJob{raw: raw, hash: hash}
	h.memo.put(rawJob, c)
	return c, nil
}

func (h *Handler) runUncached(ctx context.Context, spec *jobspec.Job) (cache.Entry, error) {
	job, err := h.Runner.Submit(spec)
	if err != nil {
		return cache.Entry{}, err
	}
	t := time.NewTimer(h.Wait)
	defer t.Stop()
	select {
	case <-job.Done():
	case <-t.C:
	case <-ctx.Done():
		return cache.Entry{}, ctx.Err()
	}
	return entryOf(job), nil
}

// respond answers with e: a redirect to the output, the failed job's
// status, or the running job's status (202).
func respond(w http.ResponseWriter, e cache.Entry) {
	// The answer depends on the job's state and points at an expiring
	// output: no cache may keep it. A browser gets a page instead of a
	// running or failed job's JSON (the redirect is the same for all).
	w.Header().Set("Cache-Control", "no-store")
	if e.Location == "" {
		w.Header().Add("Vary", "Accept")
	}
	if e.JobID != "" {
		w.Header().Set("X-Job-Id", e.JobID)
	}
	body := map[string]any{"data": e.Status}
	switch {
	case e.Location != "":
		w.Header().Set("Location", e.Location)
		w.WriteHeader(http.StatusFound)
	case e.Final && e.HTTPStatus >= 400:
		server.WriteJSON(w, e.HTTPStatus, body)
	case e.Final:
		// Ended well with nothing to redirect to.
		server.WriteJSON(w, http.StatusOK, body)
	default:
		server.WriteJSON(w, http.StatusAccepted, body)
	}
}
