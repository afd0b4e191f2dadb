package proxy

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify/token"
)

// KeyAPI serves the admin calls on signing keys.
type KeyAPI struct {
	Repo    *KeyRepo
	Buckets *bucket.Repo
	// Bits is the RSA key size; 0 means token.DefaultBits.
	Bits int
	Now  func() time.Time
}

// Register adds the signing-key calls to rt.
func (a *KeyAPI) Register(rt *admin.Router) {
	rt.Handle("POST /v1/signing-keys", a.create(rt.MaxBody))
	a.resource().Register(rt)
}

func (a *KeyAPI) resource() *admin.Resource[KeyRecord, KeyView] {
	return &admin.Resource[KeyRecord, KeyView]{
		Records: a.Repo, Path: "/v1/signing-keys", Noun: "signing key", One: "signing_key", Many: "signing_keys",
		ID: func(rec KeyRecord) string { return rec.ID }, View: keyView,
		// ids are what NewKeyID makes; checking the shape first keeps junk
		// out of messages and lookups.
		CheckID: func(id string) error {
			if !keyIDPattern.MatchString(id) {
				return server.NotFound("signing key %q does not exist", admin.Truncate(id))
			}
			return nil
		},
		Rename: func(ctx context.Context, rec KeyRecord, name *string) (KeyRecord, error) {
			if err := admin.CheckName(name); err != nil {
				return rec, err
			}
			rec.Name = name
			return rec, a.Repo.Put(ctx, rec.ID, rec)
		},
		Deleted: func(rec KeyRecord) { a.Repo.Forget(rec.ID) },
	}
}

// KeyView is a key as the API shows it: never the private key, and not the
// public one either, which the seed system does not show.
type KeyView struct {
	ID      string  `json:"id"`
	Bucket  string  `json:"bucket"`
	Name    *string `json:"name"`
	Created string  `json:"created"`
}

// keyCreated is the one answer that carries the private key.
type keyCreated struct {
	ID         string  `json:"id"`
	Bucket     string  `json:"bucket"`
	PrivateKey string  `json:"private_key"`
	Created    string  `json:"created"`
	Name       *string `json:"name"`
}

func keyView(rec KeyRecord) KeyView {
	return KeyView{ID: rec.ID, Bucket: rec.Bucket, Name: rec.Name, Created: rec.Created.UTC().Format(CreatedLayout)}
}

type keyCreateRequest struct {
	Bucket string  `json:"bucket"`
	Name   *string `json:"name"`
}

func (a *KeyAPI) create(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req keyCreateRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if req.Bucket == "" {
			return server.Invalid(`field "bucket" is required: the bucket the key signs for`)
		}
		if err := bucket.ValidateName(req.Bucket); err != nil {
			return server.Invalid("%v", err)
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
		privPEM, pubPEM, err := token.GenerateKey(a.Bits)
		if err != nil {
			return err
		}
		rec := KeyRecord{
			ID:            token.NewKeyID(),
			Bucket:        b.Name,
			Name:          req.Name,
			PublicKey:     string(pubPEM),
			Created:       a.Now().UTC().Truncate(time.Second),
			BucketCreated: b.Created,
		}
		if err := a.Repo.Create(r.Context(), rec.ID, rec); err != nil {
			return err
		}
		// no-store: this answer is the only copy of the private key, and no
		// cache between here and the caller may keep one.
		w.Header().Set("Cache-Control", "no-store")
		server.WriteJSON(w, http.StatusCreated, map[string]keyCreated{"signing_key": {
			ID: rec.ID, Bucket: rec.Bucket, PrivateKey: string(privPEM),
			Created: rec.Created.Format(CreatedLayout), Name: rec.Name,
		}})
		return nil
	}
}

var keyIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
