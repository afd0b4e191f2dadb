package signedurl

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
)

// API serves the admin calls on signed-URL bases.
type API struct {
	Repo *Repo
	// PublicURL is the gateway's public URL; a base created without one is
	// <PublicURL>/<id>.
	PublicURL string
	Now       func() time.Time
}

// Register adds the calls to rt.
func (a *API) Register(rt *admin.Router) {
	rt.Handle("POST /v1/signed-url-bases", a.create(rt.MaxBody))
	a.resource().Register(rt)
}

// resource shows bases without their secrets, which only the answer to
// their creation carries.
func (a *API) resource() *admin.Resource[Base, Base] {
	return &admin.Resource[Base, Base]{
		Records: a.Repo, Path: "/v1/signed-url-bases", Noun: "signed-URL base",
		One: "signed_url_base", Many: "signed_url_bases",
		ID: func(b Base) string { return b.ID }, View: Base.Public,
		CheckID: func(id string) error {
			if err := ValidateID(id); err != nil {
				return server.Invalid("%v", err)
			}
			return nil
		},
	}
}

type baseBody struct {
	Base Base `json:"signed_url_base"`
}

type createRequest struct {
	ID     string     `json:"id"`
	Base   string     `json:"base"`
	Secret string     `json:"signing_secret"`
	Name   string     `json:"name"`
	CORS   *cors.Rule `json:"cors"`
}

func (a *API) create(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req createRequest
		if err := admin.DecodeJSON(r, maxBody, &req, true); err != nil {
			return err
		}
		b := Base{ID: req.ID, Base: req.Base, Secret: req.Secret, Name: req.Name, CORS: req.CORS, Created: a.Now().UTC()}
		if b.ID == "" {
			b.ID = NewID()
		}
		if err := ValidateID(b.ID); err != nil {
			return server.Invalid("%v", err)
		}
		if b.Base == "" {
			b.Base = strings.TrimRight(a.PublicURL, "/") + "/" + b.ID
		}
		if err := ValidateBase(b.Base); err != nil {
			return server.Invalid("%v", err)
		}
		if b.Secret == "" {
			b.Secret = NewSecret()
		}
		if err := ValidateSecret(b.Secret); err != nil {
			return server.Invalid("%v", err)
		}
		if len(b.Name) > 200 {
			return server.Invalid("name must be at most 200 characters")
		}
		if b.CORS != nil {
			if err := b.CORS.Normalize(); err != nil {
				return err // 400 INVALID_CORS
			}
		}
		switch err := a.Repo.Create(r.Context(), b); {
		case errors.Is(err, store.ErrExists):
			return server.Errorf(http.StatusConflict, server.CodeConflict, "signed-URL base %q already exists", b.ID)
		case errors.Is(err, ErrPathTaken):
			return server.Errorf(http.StatusConflict, server.CodeConflict,
				"another signed-URL base already has the path %q; bases are told apart by path", b.Path())
		case err != nil:
			return err
		}
		w.Header().Set("Location", "/v1/signed-url-bases/"+b.ID)
		w.Header().Set("Cache-Control", "no-store") // the body holds the secret
		server.WriteJSON(w, http.StatusCreated, baseBody{b})
		return nil
	}
}
