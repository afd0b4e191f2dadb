package upload

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/apierr"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/store"
)

// AdminAPI serves the admin calls on API keys and upload presets.
type AdminAPI struct {
	Keys    *KeyRepo
	Presets *PresetRepo
	Buckets *bucket.Repo
	Now     func() time.Time
}

// Register adds the calls to rt.
func (a *AdminAPI) Register(rt *admin.Router) {
	rt.Handle("POST /v1/api-keys", a.createKey(rt.MaxBody))
	rt.Handle("GET /v1/api-keys", a.listKeys)
	rt.Handle("GET /v1/api-keys/{key}", a.getKey)
	rt.Handle("DELETE /v1/api-keys/{key}", a.deleteKey)
	rt.Handle("POST /v1/upload-presets", a.createPreset(rt.MaxBody))
	rt.Handle("GET /v1/upload-presets", a.listPresets)
	rt.Handle("GET /v1/upload-presets/{name}", a.getPreset)
	rt.Handle("DELETE /v1/upload-presets/{name}", a.deletePreset)
}

type keyBody struct {
	APIKey APIKey `json:"api_key"`
}

type createKeyRequest struct {
	CloudName string `json:"cloud_name"`
	Bucket    string `json:"bucket"`
	APIKey    string `json:"api_key"`
	APISecret string `json:"api_secret"`
}

func (a *AdminAPI) checkBucket(ctx context.Context, name string) error {
	if name == "" {
		return apierr.Invalid("bucket is required: the bucket uploads of this cloud are stored in")
	}
	if err := bucket.ValidateName(name); err != nil {
		return apierr.Invalid("%v", err)
	}
	_, ok, err := a.Buckets.Lookup(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return apierr.Invalid("bucket %q does not exist; create it first with PUT /v1/buckets/%s", name, name)
	}
	return nil
}

func (a *AdminAPI) createKey(maxBody int64) apierr.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req createKeyRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if err := ValidateCloudName(req.CloudName); err != nil {
			return apierr.Invalid("%v", err)
		}
		if err := a.checkBucket(r.Context(), req.Bucket); err != nil {
			return err
		}
		k := APIKey{CloudName: req.CloudName, Bucket: req.Bucket, APIKey: req.APIKey, APISecret: req.APISecret,
			Created: a.Now().UTC().Truncate(time.Second)}
		if k.APIKey == "" {
			k.APIKey = NewKeyID()
		} else if err := ValidateKey(k.APIKey); err != nil {
			return apierr.Invalid("%v", err)
		}
		if k.APISecret == "" {
			k.APISecret = NewSecret()
		} else if err := ValidateSecret(k.APISecret); err != nil {
			return apierr.Invalid("%v", err)
		}
		if err := a.Keys.Create(r.Context(), k.APIKey, k); err != nil {
			if errors.Is(err, store.ErrExists) {
				return apierr.New(http.StatusConflict, apierr.CodeConflict, "api_key %q already exists", k.APIKey)
			}
			return err
		}
		// The only answer that ever shows the secret.
		apierr.WriteJSON(w, http.StatusCreated, keyBody{k})
		return nil
	}
}

func (a *AdminAPI) listKeys(w http.ResponseWriter, r *http.Request) error {
	all, err := a.Keys.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]APIKey, 0, len(all))
	for _, k := range all {
		out = append(out, k.Public())
	}
	apierr.WriteJSON(w, http.StatusOK, map[string][]APIKey{"api_keys": out})
	return nil
}

func (a *AdminAPI) findKey(r *http.Request) (APIKey, error) {
	id := r.PathValue("key")
	k, ok, err := a.Keys.Lookup(r.Context(), id)
	if err != nil {
		return APIKey{}, err
	}
	if !ok {
		return APIKey{}, apierr.NotFound("api key %q does not exist", id)
	}
	return k, nil
}

func (a *AdminAPI) getKey(w http.ResponseWriter, r *http.Request) error {
	k, err := a.findKey(r)
	if err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, keyBody{k.Public()})
	return nil
}

func (a *AdminAPI) deleteKey(w http.ResponseWriter, r *http.Request) error {
	k, err := a.findKey(r)
	if err != nil {
		return err
	}
	if err := a.Keys.Delete(r.Context(), k.APIKey); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierr.NotFound("api key %q does not exist", k.APIKey)
		}
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, admin.OK)
	return nil
}

type presetBody struct {
	Preset Preset `json:"upload_preset"`
}

type createPresetRequest struct {
	Name      string `json:"name"`
	CloudName string `json:"cloud_name"`
	Bucket    string `json:"bucket"`
	Unsigned  bool   `json:"unsigned"`
	Folder    string `json:"folder"`
}

func (a *AdminAPI) createPreset(maxBody int64) apierr.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req createPresetRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if err := ValidatePresetName(req.Name); err != nil {
			return apierr.Invalid("%v", err)
		}
		if err := ValidateCloudName(req.CloudName); err != nil {
			return apierr.Invalid("%v", err)
		}
		if err := a.checkBucket(r.Context(), req.Bucket); err != nil {
			return err
		}
		folder := strings.Trim(req.Folder, "/")
		if folder != "" {
			if err := ValidatePublicID(folder); err != nil {
				return apierr.Invalid("folder: %v", err)
			}
		}
		p := Preset{Name: req.Name, CloudName: req.CloudName, Bucket: req.Bucket, Unsigned: req.Unsigned,
			Folder: folder, Created: a.Now().UTC().Truncate(time.Second)}
		if err := a.Presets.Create(r.Context(), p.Name, p); err != nil {
			if errors.Is(err, store.ErrExists) {
				return apierr.New(http.StatusConflict, apierr.CodeConflict, "upload preset %q already exists", p.Name)
			}
			return err
		}
		apierr.WriteJSON(w, http.StatusCreated, presetBody{p})
		return nil
	}
}

func (a *AdminAPI) listPresets(w http.ResponseWriter, r *http.Request) error {
	all, err := a.Presets.List(r.Context())
	if err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, map[string][]Preset{"upload_presets": all})
	return nil
}

func (a *AdminAPI) findPreset(r *http.Request) (Preset, error) {
	name := r.PathValue("name")
	p, ok, err := a.Presets.Lookup(r.Context(), name)
	if err != nil {
		return Preset{}, err
	}
	if !ok {
		return Preset{}, apierr.NotFound("upload preset %q does not exist", name)
	}
	return p, nil
}

func (a *AdminAPI) getPreset(w http.ResponseWriter, r *http.Request) error {
	p, err := a.findPreset(r)
	if err != nil {
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, presetBody{p})
	return nil
}

func (a *AdminAPI) deletePreset(w http.ResponseWriter, r *http.Request) error {
	p, err := a.findPreset(r)
	if err != nil {
		return err
	}
	if err := a.Presets.Delete(r.Context(), p.Name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierr.NotFound("upload preset %q does not exist", p.Name)
		}
		return err
	}
	apierr.WriteJSON(w, http.StatusOK, admin.OK)
	return nil
}
