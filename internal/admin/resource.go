package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
)

// Records is what the shared calls need of one kind of record: a typed
// view of the record store, such as store.Collection. Get and Delete
// return store.ErrNotFound for an id that has no record.
type Records[T any] interface {
	Get(ctx context.Context, id string) (T, error)
	List(ctx context.Context) ([]T, error)
	Delete(ctx context.Context, id string) error
}

// Resource serves the calls every admin resource has in common: list, get
// and delete of one kind of record, and rename where records have names.
// Each resource adds its own create (and anything else) beside it.
//
// Records are shown through View, never as stored: a view leaves out what
// must not leave the gateway again (secrets, private keys).
type Resource[T, V any] struct {
	Records Records[T]
	// Path is the collection's route, such as /v1/domains; one record is
	// Path/{id}.
	Path string
	// Noun names a record in messages ("domain", "signing key").
	Noun string
	// One and Many are the JSON keys of one record and of the list.
	One, Many string
	// ID is a record's id, the {id} of its routes.
	ID func(T) string
	// View is a record as the API shows it.
	View func(T) V
	// CheckID refuses an id that cannot be of this kind before any lookup,
	// which keeps junk out of messages and the store. Nil accepts any id.
	CheckID func(id string) error
	// Rename, when set, serves PUT Path/{id} {"name": ...}: it checks the
	// name, stores the renamed record and returns it.
	Rename func(ctx context.Context, rec T, name *string) (T, error)
	// Deleted, when set, runs after a record is deleted, to drop what this
	// instance derived from it.
	Deleted func(T)
}

// Register adds the shared calls to rt.
func (res *Resource[T, V]) Register(rt *Router) {
	rt.Handle("GET "+res.Path, res.list)
	rt.Handle("GET "+res.Path+"/{id}", res.get)
	rt.Handle("DELETE "+res.Path+"/{id}", res.delete)
	if res.Rename != nil {
		rt.Handle("PUT "+res.Path+"/{id}", res.rename(rt.MaxBody))
	}
}

// Find returns the record that r's {id} names, or a 404 that says so.
func (res *Resource[T, V]) Find(r *http.Request) (T, error) {
	var zero T
	id := r.PathValue("id")
	if res.CheckID != nil {
		if err := res.CheckID(id); err != nil {
			return zero, err
		}
	}
	rec, err := res.Records.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return zero, res.notFound(id)
	}
	return rec, err
}

// WriteOne answers with one record, as {One: View(rec)}.
func (res *Resource[T, V]) WriteOne(w http.ResponseWriter, status int, rec T) {
	server.WriteJSON(w, status, map[string]V{res.One: res.View(rec)})
}

func (res *Resource[T, V]) notFound(id string) error {
	return server.NotFound("%s %q does not exist", res.Noun, id)
}

func (res *Resource[T, V]) list(w http.ResponseWriter, r *http.Request) error {
	all, err := res.Records.List(r.Context())
	if err != nil {
		return err
	}
	out := make([]V, 0, len(all))
	for _, rec := range all {
		out = append(out, res.View(rec))
	}
	server.WriteJSON(w, http.StatusOK, map[string][]V{res.Many: out})
	return nil
}

func (res *Resource[T, V]) get(w http.ResponseWriter, r *http.Request) error {
	rec, err := res.Find(r)
	if err != nil {
		return err
	}
	res.WriteOne(w, http.StatusOK, rec)
	return nil
}

type renameRequest struct {
	Name *string `json:"name"`
}

func (res *Resource[T, V]) rename(maxBody int64) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rec, err := res.Find(r)
		if err != nil {
			return err
		}
		var req renameRequest
		if err := DecodeJSON(r, maxBody, &req, false); err != nil {
			return err
		}
		if rec, err = res.Rename(r.Context(), rec, req.Name); err != nil {
			return err
		}
		res.WriteOne(w, http.StatusOK, rec)
		return nil
	}
}

func (res *Resource[T, V]) delete(w http.ResponseWriter, r *http.Request) error {
	rec, err := res.Find(r)
	if err != nil {
		return err
	}
	id := res.ID(rec)
	if err := res.Records.Delete(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return res.notFound(id)
		}
		return err
	}
	if res.Deleted != nil {
		res.Deleted(rec)
	}
	server.WriteJSON(w, http.StatusOK, OK)
	return nil
}
