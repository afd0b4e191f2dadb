package bucket

import (
	"net/http"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/server"
)

// API serves the admin calls on buckets.
type API struct {
	Repo *Repo
	// Guard refuses origins that would serve the gateway itself; nil
	// checks nothing beyond NormalizeOrigin.
	Guard *Guard
	Now   func() time.Time
}

// Register adds the bucket calls to rt.
func (a *API) Register(rt *admin.Router) {
	a.resource().Register(rt)
	rt.Handle("PUT /v1/buckets/{id}", a.put(rt.MaxBody))
	rt.Handle("PUT /v1/buckets/{id}/policy/{policy}", a.setPolicy)
}

func (a *API) resource() *admin.Resource[Bucket, Bucket] {
	return &admin.Resource[Bucket, Bucket]{
		Records: a.Repo, Path: "/v1/buckets", Noun: "bucket", One: "bucket", Many: "buckets",
		ID: func(b Bucket) string { return b.Name }, View: Bucket.Public,
		CheckID: func(name string) error {
			if err := ValidateName(name); err != nil {
				return server.Invalid("%v", err)
			}
			return nil
		},
	}
}

type putRequest struct {
	Origin       string     `json:"origin"`
	Policy       *string    `json:"policy"`
	S3           *S3        `json:"s3"`
	CORS         *cors.Rule `json:"cors"`
	CacheControl string     `json:"cache_control"`
}

func (a *API) put(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("id")
		if err := ValidateName(name); err != nil {
			return server.Invalid("%v", err)
		}
		var req putRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		origin, err := NormalizeOrigin(req.Origin)
		if err != nil {
			return server.Invalid("%v", err)
		}
		if req.S3 != nil && !strings.HasPrefix(origin, "s3://") {
			return server.Invalid("\"s3\" settings go with an s3:// origin only")
		}
		if err := NormalizeS3(req.S3); err != nil {
			return server.Invalid("%v", err)
		}
		if req.CORS != nil {
			if err := req.CORS.Normalize(); err != nil {
				return err // 400 INVALID_CORS
			}
		}
		cacheControl, err := NormalizeCacheControl(req.CacheControl)
		if err != nil {
			return server.Invalid("%v", err)
		}
		if a.Guard != nil {
			if err := a.Guard.Check(origin); err != nil {
				return server.Invalid("%v", err)
			}
			if req.S3 != nil && req.S3.Endpoint != "" {
				if err := a.Guard.Check(req.S3.Endpoint); err != nil {
					return server.Invalid("s3.endpoint: %v", err)
				}
			}
		}
		existing, exists, err := a.Repo.Lookup(r.Context(), name)
		if err != nil {
			return err
		}
		now := a.Now().UTC().Truncate(time.Second)
		b := Bucket{Name: name, Origin: origin, Policy: Public, S3: req.S3, CORS: req.CORS, CacheControl: cacheControl,
			Created: now, Updated: now}
		if exists {
			b.Policy, b.Created = existing.Policy, existing.Created
			// The secret is write-only: a PUT that names the same key id
			// without it keeps the one stored.
			if b.S3 != nil && existing.S3 != nil && b.S3.AccessKeyID != "" && b.S3.SecretAccessKey == "" &&
				b.S3.AccessKeyID == existing.S3.AccessKeyID {
				b.S3.SecretAccessKey = existing.S3.SecretAccessKey
			}
		}
		if b.S3 != nil && b.S3.AccessKeyID != "" && b.S3.SecretAccessKey == "" {
			return server.Invalid("s3.access_key_id needs s3.secret_access_key (it is kept from before only for the same key id)")
		}
		if req.Policy != nil {
			if err := ValidatePolicy(*req.Policy); err != nil {
				return server.Invalid("%v", err)
			}
			b.Policy = *req.Policy
		}
		if err := a.Repo.Put(r.Context(), name, b); err != nil {
			return err
		}
		status := http.StatusOK
		if !exists {
			status = http.StatusCreated
		}
		a.resource().WriteOne(w, status, b)
		return nil
	}
}

func (a *API) setPolicy(w http.ResponseWriter, r *http.Request) error {
	policy := r.PathValue("policy")
	if err := ValidatePolicy(policy); err != nil {
		return server.Invalid("%v", err)
	}
	b, err := a.resource().Find(r)
	if err != nil {
		return err
	}
	b.Policy = policy
	b.Updated = a.Now().UTC().Truncate(time.Second)
	if err := a.Repo.Put(r.Context(), b.Name, b); err != nil {
		return err
	}
	server.WriteJSON(w, http.StatusOK, admin.OK)
	return nil
}
