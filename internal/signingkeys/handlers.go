package signingkeys

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/apierr"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/store"
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
	rt.Handle("GET /v1/signing-keys", a.list)
	rt.Handle("GET /v1/signing-keys/{id}", a.get)
	rt.Handle("PUT /v1/signing-keys/{id}", a.rename(rt.MaxBody))
	rt.Handle("DELETE /v1/signing-keys/{id}", a.delete)
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

func (a *KeyAPI) create(maxBody int64) apierr.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req keyCreateRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if req.Bucket == "" {
			return apierr.Invalid(`field "bucket" is required: the bucket the key signs for`)
		}
		if err := bucket.ValidateName(req.Bucket); err != nil {
			return apierr.Invalid("%v", err)
		}
		if err := validateName(req.Name); err != nil {
			return err
		}
		b, ok, err := a.Buckets.Lookup(r.Context(), req.Bucket)
		if err != nil {
			return err
		}
		if !ok {
			return apierr.NotFound("bucket %q does not exist", req.Bucket)
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
		apierr.WriteJSON(w, http.StatusCreated, map[string]keyCreated{"signing_key": {
			ID: rec.ID, Bucket: rec.Bucket, PrivateKey: string(privPEM),
			Created: rec.Created.Format(CreatedLayout), Name: rec.Name,
		}})
		return nil
	}
}

func (a *KeyAPI) list(w http.ResponseWriter, r *http.Request) error {
	all, err := a.Repo.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]KeyView, 0, len(all))
	for _, rec := range all {
		out = append(out, keyView(rec))
	}
	apierr.WriteJSON(w, http.StatusOK, map[string][]KeyView{"signing_keys": out})
	return nil
}

// ids are what NewID makes; checking the shape first keeps junk out of
// messages and lookups.
var keyIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (a *KeyAPI) find(r *http.Request) (KeyRecord, error) {
	id := r.PathValue("id")
	if !keyIDPattern.MatchString(id) {
		return KeyRecord{}, apierr.NotFound("signing key %q does not exist", truncate(id))
	}
	rec, err := a.Repo.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return KeyRecord{}, apierr.NotFound("signing key %q does not exist", id)
	}
	return rec, err
}

func (a *KeyAPI) get(w http.ResponseWriter, r *http.Request) error {
	rec, err := a.find(r)
	if err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, map[string]KeyView{"signing_key": keyView(rec)})
	return nil
}

type keyRenameRequest struct {
	Name *string `json:"name"`
}

func (a *KeyAPI) rename(maxBody int64) apierr.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rec, err := a.find(r)
		if err != nil {
			return err
		}
		var req keyRenameRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if err := validateName(req.Name); err != nil {
			return err
		}
		rec.Name = req.Name
		if err := a.Repo.Put(r.Context(), rec.ID, rec); err != nil {
			return err
		}
		apierr.WriteJSON(w, http.StatusOK, map[string]KeyView{"signing_key": keyView(rec)})
		return nil
	}
}

func (a *KeyAPI) delete(w http.ResponseWriter, r *http.Request) error {
	rec, err := a.find(r)
	if err != nil {
		return err
	}
	if err := a.Repo.Delete(r.Context(), rec.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierr.NotFound("signing key %q does not exist", rec.ID)
		}
		return err
	}
	a.Repo.Forget(rec.ID)
	apierr.WriteJSON(w, http.StatusOK, admin.OK)
	return nil
}

const maxNameLen = 200

func validateName(name *string) error {
	if name == nil {
		return nil
	}
	if len(*name) > maxNameLen {
		return apierr.Invalid("name is longer than %d bytes", maxNameLen)
	}
	if strings.IndexFunc(*name, unicode.IsControl) >= 0 {
		return apierr.Invalid("name must not contain control characters")
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
