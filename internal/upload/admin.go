package upload

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server"
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
	a.keys().Register(rt)
	rt.Handle("POST /v1/upload-presets", a.createPreset(rt.MaxBody))
	a.presets().Register(rt)
}

// keys shows API keys without their secrets, which only the answer to
// their creation carries.
func (a *AdminAPI) keys() *admin.Resource[APIKey, APIKey] {
	return &admin.Resource[APIKey, APIKey]{
		Records: a.Keys, Path: "/v1/api-keys", Noun: "api key", One: "api_key", Many: "api_keys",
		ID: func(k APIKey) string { return k.APIKey }, View: APIKey.Public,
	}
}

func (a *AdminAPI) presets() *admin.Resource[Preset, Preset] {
	return &admin.Resource[Preset, Preset]{
		Records: a.Presets, Path: "/v1/upload-presets", Noun: "upload preset", One: "upload_preset", Many: "upload_presets",
		ID: func(p Preset) string { return p.Name }, View: func(p Preset) Preset { return p },
	}
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
		return server.Invalid("bucket is required: the bucket uploads of this cloud are stored in")
	}
	if err := bucket.ValidateName(name); err != nil {
		return server.Invalid("%v", err)
	}
	_, ok, err := a.Buckets.Lookup(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return server.Invalid("bucket %q does not exist; create it first with PUT /v1/buckets/%s", name, name)
	}
	return nil
}

func (a *AdminAPI) createKey(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req createKeyRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if err := ValidateCloudName(req.CloudName); err != nil {
			return server.Invalid("%v", err)
		}
		if err := a.checkBucket(r.Context(), req.Bucket); err != nil {
			return err
		}
		k := APIKey{CloudName: req.CloudName, Bucket: req.Bucket, APIKey: req.APIKey, APISecret: req.APISecret,
			Created: a.Now().UTC().Truncate(time.Second)}
		if k.APIKey == "" {
			k.APIKey = NewKeyID()
		} else if err := ValidateKey(k.APIKey); err != nil {
			return server.Invalid("%v", err)
		}
		if k.APISecret == "" {
			k.APISecret = NewSecret()
		} else if err := ValidateSecret(k.APISecret); err != nil {
			return server.Invalid("%v", err)
		}
		if err := a.Keys.Create(r.Context(), k.APIKey, k); err != nil {
			if errors.Is(err, store.ErrExists) {
				return server.Errorf(http.StatusConflict, server.CodeConflict, "api_key %q already exists", k.APIKey)
			}
			return err
		}
		// The only answer that ever shows the secret.
		server.WriteJSON(w, http.StatusCreated, keyBody{k})
		return nil
	}
}

type createPresetRequest struct {
	Name      string `json:"name"`
	CloudName string `json:"cloud_name"`
	Bucket    string `json:"bucket"`
	Unsigned  bool   `json:"unsigned"`
	Folder    string `json:"folder"`
}

func (a *AdminAPI) createPreset(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req createPresetRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if err := ValidatePresetName(req.Name); err != nil {
			return server.Invalid("%v", err)
		}
		if err := ValidateCloudName(req.CloudName); err != nil {
			return server.Invalid("%v", err)
		}
		if err := a.checkBucket(r.Context(), req.Bucket); err != nil {
			return err
		}
		folder := strings.Trim(req.Folder, "/")
		if folder != "" {
			if err := ValidatePublicID(folder); err != nil {
				return server.Invalid("folder: %v", err)
			}
		}
		p := Preset{Name: req.Name, CloudName: req.CloudName, Bucket: req.Bucket, Unsigned: req.Unsigned,
			Folder: folder, Created: a.Now().UTC().Truncate(time.Second)}
		if err := a.Presets.Create(r.Context(), p.Name, p); err != nil {
			if errors.Is(err, store.ErrExists) {
				return server.Errorf(http.StatusConflict, server.CodeConflict, "upload preset %q already exists", p.Name)
			}
			return err
		}
		a.presets().WriteOne(w, http.StatusCreated, p)
		return nil
	}
}
