package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
)

type thing struct {
	ID, Name, Secret string
}

type thingView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type things map[string]thing

func (m things) Get(_ context.Context, id string) (thing, error) {
	t, ok := m[id]
	if !ok {
		return thing{}, store.ErrNotFound
	}
	return t, nil
}

func (m things) List(context.Context) ([]thing, error) {
	var out []thing
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m things) Delete(_ context.Context, id string) error {
	if _, ok := m[id]; !ok {
		return store.ErrNotFound
	}
	delete(m, id)
	return nil
}

func TestResource(t *testing.T) {
	recs := things{"t_1": {"t_1", "one", "s1"}, "t_2": {"t_2", "two", "s2"}}
	var deleted []string
	res := &Resource[thing, thingView]{
		Records: recs, Path: "/v1/things", Noun: "thing", One: "thing", Many: "things",
		ID:   func(t thing) string { return t.ID },
		View: func(t thing) thingView { return thingView{t.ID, t.Name} },
		CheckID: func(id string) error {
			if !strings.HasPrefix(id, "t_") {
				return server.Invalid("%q is not a thing id", id)
			}
			return nil
		},
		Rename: func(_ context.Context, t thing, name *string) (thing, error) {
			if name == nil || *name == "" {
				return t, server.Invalid("name must not be empty")
			}
			t.Name = *name
			recs[t.ID] = t
			return t, nil
		},
		Deleted: func(t thing) { deleted = append(deleted, t.ID) },
	}
	mux := http.NewServeMux()
	res.Register(NewRouter(mux, "admin-token-0123456789", 1<<10))

	call := func(method, target, body string) (int, string) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer admin-token-0123456789")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w.Code, strings.TrimSpace(w.Body.String())
	}
	tests := []struct {
		method, target, body string
		status               int
		want                 string
	}{
		{"GET", "/v1/things", "", 200, `{"things":[{"id":"t_1","name":"one"},{"id":"t_2","name":"two"}]}`},
		{"GET", "/v1/things/t_1", "", 200, `{"thing":{"id":"t_1","name":"one"}}`},
		{"GET", "/v1/things/t_9", "", 404, `{"message":"thing \"t_9\" does not exist","code":"NOT_FOUND"}`},
		{"GET", "/v1/things/junk", "", 400, `{"message":"\"junk\" is not a thing id","code":"INVALID_DATA"}`},
		{"PUT", "/v1/things/t_2", `{"name":"deux"}`, 200, `{"thing":{"id":"t_2","name":"deux"}}`},
		{"PUT", "/v1/things/t_2", `{"name":""}`, 400, `{"message":"name must not be empty","code":"INVALID_DATA"}`},
		{"PUT", "/v1/things/t_2", `{"nom":"x"}`, 400, ""},
		{"DELETE", "/v1/things/t_1", "", 200, `{"status":"ok"}`},
		{"DELETE", "/v1/things/t_1", "", 404, `{"message":"thing \"t_1\" does not exist","code":"NOT_FOUND"}`},
		{"GET", "/v1/things", "", 200, `{"things":[{"id":"t_2","name":"deux"}]}`},
	}
	for _, tt := range tests {
		status, body := call(tt.method, tt.target, tt.body)
		if status != tt.status || (tt.want != "" && body != tt.want) {
			t.Errorf("%s %s %s: got %d %s, want %d %s", tt.method, tt.target, tt.body, status, body, tt.status, tt.want)
		}
		if strings.Contains(body, "s1") || strings.Contains(body, "s2") {
			t.Errorf("%s %s: the answer shows a secret: %s", tt.method, tt.target, body)
		}
	}
	if len(deleted) != 1 || deleted[0] != "t_1" {
		t.Errorf("Deleted ran for %v, want [t_1]", deleted)
	}
	var out map[string]any
	if _, body := call("GET", "/v1/things", ""); json.Unmarshal([]byte(body), &out) != nil {
		t.Errorf("list is not JSON: %s", body)
	}
}

func TestResourceWithoutRenameHasNoPut(t *testing.T) {
	res := &Resource[thing, thingView]{Records: things{"t_1": {ID: "t_1"}}, Path: "/v1/things", Noun: "thing",
		One: "thing", Many: "things", ID: func(t thing) string { return t.ID },
		View: func(t thing) thingView { return thingView{ID: t.ID} }}
	mux := http.NewServeMux()
	res.Register(NewRouter(mux, "admin-token-0123456789", 1<<10))
	req := httptest.NewRequest("PUT", "/v1/things/t_1", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Authorization", "Bearer admin-token-0123456789")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT without Rename: got %d, want 405", w.Code)
	}
}
