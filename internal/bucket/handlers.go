package bucket

import (
	"errors"
	"net/http"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/apierr"
	"github.com/signedgate/gateway/internal/store"
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
	rt.Handle("GET /v1/buckets", a.list)
	rt.Handle("GET /v1/buckets/{bucket}", a.get)
	rt.Handle("PUT /v1/buckets/{bucket}", a.put(rt.MaxBody))
	rt.Handle("DELETE /v1/buckets/{bucket}", a.delete)
	rt.Handle("PUT /v1/buckets/{bucket}/policy/{policy}", a.setPolicy)
}

type bucketBody struct {
	Bucket Bucket `json:"bucket"`
}

func (a *API) list(w http.ResponseWriter, r *http.Request) error {
	all, err := a.Repo.List(r.Context())
	if err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, map[string][]Bucket{"buckets": all})
	return nil
}

func (a *API) find(r *http.Request) (Bucket, error) {
	name := r.PathValue("bucket")
	if err := ValidateName(name); err != nil {
		return Bucket{}, apierr.Invalid("%v", err)
	}
	b, ok, err := a.Repo.Lookup(r.Context(), name)
	if err != nil {
		return Bucket{}, err
	}
	if !ok {
		return Bucket{}, apierr.NotFound("bucket %q does not exist", name)
	}
	return b, nil
}

func (a *API) get(w http.ResponseWriter, r *http.Request) error {
	b, err := a.find(r)
	if err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, bucketBody{b})
	return nil
}

type putRequest struct {
	Origin string  `json:"origin"`
	Policy *string `json:"policy"`
}

func (a *API) put(maxBody int64) apierr.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("bucket")
		if err := ValidateName(name); err != nil {
			return apierr.Invalid("%v", err)
		}
		var req putRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		origin, err := NormalizeOrigin(req.Origin)
		if err != nil {
			return apierr.Invalid("%v", err)
		}
		if a.Guard != nil {
			if err := a.Guard.Check(origin); err != nil {
				return apierr.Invalid("%v", err)
			}
		}
		existing, exists, err := a.Repo.Lookup(r.Context(), name)
		if err != nil {
			return err
		}
		now := a.Now().UTC().Truncate(time.Second)
		b := Bucket{Name: name, Origin: origin, Policy: Public, Created: now, Updated: now}
		if exists {
			b.Policy, b.Created = existing.Policy, existing.Created
		}
		if req.Policy != nil {
			if err := ValidatePolicy(*req.Policy); err != nil {
				return apierr.Invalid("%v", err)
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
		apierr.WriteJSON(w, status, bucketBody{b})
		return nil
	}
}

func (a *API) setPolicy(w http.ResponseWriter, r *http.Request) error {
	policy := r.PathValue("policy")
	if err := ValidatePolicy(policy); err != nil {
		return apierr.Invalid("%v", err)
	}
	b, err := a.find(r)
	if err != nil {
		return err
	}
	b.Policy = policy
	b.Updated = a.Now().UTC().Truncate(time.Second)
	if err := a.Repo.Put(r.Context(), b.Name, b); err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, admin.OK)
	return nil
}

func (a *API) delete(w http.ResponseWriter, r *http.Request) error {
	b, err := a.find(r)
	if err != nil {
		return err
	}
	if err := a.Repo.Delete(r.Context(), b.Name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierr.NotFound("bucket %q does not exist", b.Name)
		}
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, admin.OK)
	return nil
}
