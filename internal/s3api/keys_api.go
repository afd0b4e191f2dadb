package s3api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server"
)

// KeyAPI serves the admin calls on access keys: POST /v1/access-keys, and
// list, get, rename (PUT) and delete.
type KeyAPI struct {
	Repo    *KeyRepo
	Buckets *bucket.Repo
	Now     func() time.Time
}

// CreatedLayout is how the admin API writes creation times.
const CreatedLayout = "2006-01-02 15:04:05"

// Register adds the access-key calls to rt.
func (a *KeyAPI) Register(rt *admin.Router) {
	rt.Handle("POST /v1/access-keys", a.create(rt.MaxBody))
	a.resource().Register(rt)
}

func (a *KeyAPI) resource() *admin.Resource[AccessKey, KeyView] {
	return &admin.Resource[AccessKey, KeyView]{
		Records: a.Repo, Path: "/v1/access-keys", Noun: "access key", One: "access_key", Many: "access_keys",
		ID: func(k AccessKey) string { return k.ID }, View: keyView,
		CheckID: func(id string) error {
			if !idPattern.MatchString(id) {
				return server.NotFound("access key %q does not exist", admin.Truncate(id))
			}
			return nil
		},
		Rename: func(ctx context.Context, k AccessKey, name *string) (AccessKey, error) {
			if err := admin.CheckName(name); err != nil {
				return k, err
			}
			k.Name = name
			return k, a.Repo.Put(ctx, k.ID, k)
		},
	}
}

// KeyView is an access key as the API lists it: without its secret.
type KeyView struct {
	AccessKeyID string   `json:"access_key_id"`
	Bucket      string   `json:"bucket"`
	Permissions []string `json:"permissions"`
	Name        *string  `json:"name"`
	Created     string   `json:"created"`
}

// keyCreated is the one answer that carries the secret.
type keyCreated struct {
	KeyView
	SecretAccessKey string `json:"secret_access_key"`
}

func keyView(k AccessKey) KeyView {
	return KeyView{AccessKeyID: k.ID, Bucket: k.Bucket, Permissions: k.Permissions, Name: k.Name,
		Created: k.Created.UTC().Format(CreatedLayout)}
}

type keyCreateRequest struct {
	Bucket      string   `json:"bucket"`
	Permissions []string `json:"permissions"`
	Name        *string  `json:"name"`
}

func (a *KeyAPI) create(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req keyCreateRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if req.Bucket == "" {
			return server.Invalid(`field "bucket" is required: the bucket the key opens`)
		}
		if err := bucket.ValidateName(req.Bucket); err != nil {
			return server.Invalid("%v", err)
		}
		perms, err := permissions(req.Permissions)
		if err != nil {
			return err
		}
		if err := admin.CheckName(req.Name); err != nil {
			return err
		}
		b, ok, err := a.Buckets.Lookup(r.Context(), req.Bucket)
		if err != nil {
			return err
		}
		if !ok {
			return server.NotFound("bucket %q does not exist", req.Bucket)
		}
		k := AccessKey{
			ID: NewKeyID(), Secret: NewSecret(), Bucket: b.Name, Permissions: perms, Name: req.Name,
			Created: a.Now().UTC().Truncate(time.Second), BucketCreated: b.Created,
		}
		if err := a.Repo.Create(r.Context(), k.ID, k); err != nil {
			return err
		}
		// This answer is the only copy of the secret the caller gets.
		w.Header().Set("Cache-Control", "no-store")
		server.WriteJSON(w, http.StatusCreated, map[string]keyCreated{"access_key": {keyView(k), k.Secret}})
		return nil
	}
}

// permissions checks a key's permissions and puts them in one order.
func permissions(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, server.Invalid(`field "permissions" is required: ["read"], ["write"] or ["read", "write"]`)
	}
	var out []string
	for _, p := range in {
		if p != Read && p != Write {
			return nil, server.Invalid("permission %q is unknown: use %q or %q", admin.Truncate(p), Read, Write)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}
