package proxy

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
)

// DomainAPI serves the admin calls on custom domains.
type DomainAPI struct {
	Repo    *DomainRepo
	Buckets *bucket.Repo
	// OwnHost is the gateway's own public hostname, which cannot be a
	// custom domain.
	OwnHost string
	Now     func() time.Time
}

// Register adds the domain calls to rt.
func (a *DomainAPI) Register(rt *admin.Router) {
	rt.Handle("POST /v1/domains", a.create(rt.MaxBody))
	a.resource().Register(rt)
}

func (a *DomainAPI) resource() *admin.Resource[Domain, DomainView] {
	return &admin.Resource[Domain, DomainView]{
		Records: a.Repo, Path: "/v1/domains", Noun: "domain", One: "domain", Many: "domains",
		ID: func(d Domain) string { return d.ID }, View: domainView,
		CheckID: func(id string) error {
			if len(id) > 64 || !strings.HasPrefix(id, "dom_") {
				return server.NotFound("domain %q does not exist", id[:min(len(id), 64)])
			}
			return nil
		},
	}
}

// DomainView is a domain as the API shows it.
type DomainView struct {
	ID      string `json:"id"`
	Domain  string `json:"domain"`
	Bucket  string `json:"bucket"`
	Created string `json:"created"`
}

func domainView(d Domain) DomainView {
	return DomainView{ID: d.ID, Domain: d.Domain, Bucket: d.Bucket, Created: d.Created.UTC().Format("2006-01-02 15:04:05")}
}

type domainCreateRequest struct {
	Domain string `json:"domain"`
	Bucket string `json:"bucket"`
}

func (a *DomainAPI) create(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req domainCreateRequest
		if err := admin.DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		host, err := NormalizeDomain(req.Domain)
		if err != nil {
			return server.Invalid("%v", err)
		}
		if host == a.OwnHost {
			return server.Invalid("domain %q is the gateway's own public host; it serves every bucket under /media/", host)
		}
		if req.Bucket == "" {
			return server.Invalid(`field "bucket" is required: the bucket the domain serves`)
		}
		if err := bucket.ValidateName(req.Bucket); err != nil {
			return server.Invalid("%v", err)
		}
		if _, ok, err := a.Buckets.Lookup(r.Context(), req.Bucket); err != nil {
			return err
		} else if !ok {
			return server.NotFound("bucket %q does not exist", req.Bucket)
		}
		d := Domain{ID: DomainIDOf(host), Domain: host, Bucket: req.Bucket, Created: a.Now().UTC().Truncate(time.Second)}
		if err := a.Repo.Create(r.Context(), d.ID, d); err != nil {
			if errors.Is(err, store.ErrExists) {
				return server.Errorf(http.StatusConflict, server.CodeConflict, "domain %q is already registered", host)
			}
			return err
		}
		a.resource().WriteOne(w, http.StatusCreated, d)
		return nil
	}
}
