package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRouterRoutesListsWhatWasRegistered(t *testing.T) {
	rt := NewRouter(http.NewServeMux(), "admin-token-0123456789", 1<<10)
	noop := func(http.ResponseWriter, *http.Request) error { return nil }
	rt.Handle("POST /v1/things", noop)
	(&Resource[thing, thingView]{Records: things{}, Path: "/v1/things", Noun: "thing", One: "thing", Many: "things",
		ID: func(t thing) string { return t.ID }, View: func(t thing) thingView { return thingView{t.ID, t.Name} },
		Rename: func(_ context.Context, t thing, _ *string) (thing, error) { return t, nil }}).Register(rt)
	rt.ServeDescription()
	got := rt.Routes()
	want := []string{"POST /v1/things", "GET /v1/things", "GET /v1/things/{id}", "DELETE /v1/things/{id}",
		"PUT /v1/things/{id}", "GET /v1/openapi.json"}
	if !slices.Equal(got, want) {
		t.Errorf("Routes() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if rt.Routes()[0] != want[0] {
		t.Errorf("Routes() hands out the router's own slice")
	}
}

// The description needs no token, while the calls it describes still do.
func TestOpenAPIDescriptionIsServedWithoutToken(t *testing.T) {
	mux := router(NewTokens("admin-token-0123456789"))
	NewRouter(mux, "admin-token-0123456789", 1<<10).ServeDescription()

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", DescriptionPath, nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != string(Description()) {
		t.Fatalf("GET %s without a token: %d %q, %d bytes", DescriptionPath, w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
	etag := w.Header().Get("ETag")
	req := httptest.NewRequest("GET", DescriptionPath, nil)
	req.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if etag == "" || w.Code != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: got %d, want 304", etag, w.Code)
	}
	if code := status(mux, ""); code != http.StatusUnauthorized {
		t.Errorf("another call without a token: got %d, want 401", code)
	}
}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	for _, p := range checkOpenAPI(Description()) {
		t.Error(p)
	}
}

// The check itself finds each kind of fault it is meant to find.
func TestOpenAPICheckFindsFaults(t *testing.T) {
	valid := `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
		"security":[{"bearer":[]}],
		"components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}},
			"schemas":{"Thing":{"type":"object"}}},
		"paths":{"/v1/things/{id}":{
			"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],
			"get":{"operationId":"getThing","responses":{"200":{"description":"ok",
				"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}}}}}}}`
	if p := checkOpenAPI([]byte(valid)); len(p) != 0 {
		t.Fatalf("a valid document: %q", p)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"version 3.0", `"3.1.0"`, `"3.0.3"`, "openapi is"},
		{"no title", `"title":"t"`, `"title":""`, "info.title"},
		{"dangling $ref", `schemas/Thing"`, `schemas/Nothing"`, "does not resolve"},
		{"undeclared path parameter", `"name":"id"`, `"name":"key"`, "{id} is not declared"},
		{"optional path parameter", `"required":true`, `"required":false`, "required: true"},
		{"no responses", `"responses":{"200"`, `"responses":{},"x":{"200"`, "no responses"},
		{"bad status", `"200":{"description"`, `"2000":{"description"`, "status"},
		{"response without description", `"description":"ok",`, ``, "no description"},
		{"unknown security scheme", `[{"bearer":[]}]`, `[{"basic":[]}]`, "security scheme"},
		{"unknown method", `"get":{`, `"fetch":{`, "unknown key"},
	} {
		bad := strings.Replace(valid, c.from, c.to, 1)
		if bad == valid {
			t.Fatalf("%s: the replacement did not apply", c.name)
		}
		p := checkOpenAPI([]byte(bad))
		if !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, c.want) }) {
			t.Errorf("%s: problems %q, want one about %q", c.name, p, c.want)
		}
	}
}

var (
	methods       = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	statusKey     = regexp.MustCompile(`^([1-5][0-9]{2}|[1-5]XX|default)$`)
	templateParam = regexp.MustCompile(`\{([^{}]+)\}`)
)

// checkOpenAPI returns what keeps data from being a sound OpenAPI 3.1
// document: the version, info, every $ref resolving, every operation with
// responses (each with a description) and a unique operationId, every
// path parameter declared (required, in: path) and every declared one in
// the path, and every security requirement naming a declared scheme.
func checkOpenAPI(data []byte) []string {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	var problems []string
	fault := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.[0-9]+$`).MatchString(v) {
		fault("openapi is %q, want 3.1.x", v)
	}
	info := object(doc["info"])
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			fault("info.%s is missing", k)
		}
	}
	walk(doc, "#", func(at string, m map[string]any) {
		if ref, ok := m["$ref"]; ok {
			if s, _ := ref.(string); resolvePointer(doc, s) == nil {
				fault("%s: $ref %v does not resolve", at, ref)
			}
		}
	})
	schemes := object(object(doc["components"])["securitySchemes"])
	checkSecurity := func(at string, v any) {
		if v == nil {
			return
		}
		list, ok := v.([]any)
		if !ok {
			fault("%s: security is not a list", at)
			return
		}
		for _, req := range list {
			for name := range object(req) {
				if _, ok := schemes[name]; !ok {
					fault("%s: security scheme %q is not declared", at, name)
				}
			}
		}
	}
	checkSecurity("#/security", doc["security"])

	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		fault("paths is missing")
	}
	operationIDs := map[string]string{}
	for _, path := range sortedKeys(paths) {
		item := object(paths[path])
		if !strings.HasPrefix(path, "/") {
			fault("path %q does not start with /", path)
		}
		var inTemplate []string
		for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
			inTemplate = append(inTemplate, m[1])
		}
		shared := pathParams(doc, item["parameters"], path, fault)
		operations := 0
		for _, key := range sortedKeys(item) {
			switch key {
			case "parameters", "summary", "description", "servers":
				continue
			}
			at := path + " " + key
			if !slices.Contains(methods, key) {
				fault("%s: unknown key %q in a path item", path, key)
				continue
			}
			operations++
			op := object(item[key])
			if id, _ := op["operationId"].(string); id == "" {
				fault("%s: no operationId", at)
			} else if other, dup := operationIDs[id]; dup {
				fault("%s: operationId %q is also %s's", at, id, other)
			} else {
				operationIDs[id] = at
			}
			responses := object(op["responses"])
			if len(responses) == 0 {
				fault("%s: no responses", at)
			}
			for code, r := range responses {
				if !statusKey.MatchString(code) {
					fault("%s: response key %q is not a status", at, code)
				}
				if d, _ := object(deref(doc, r))["description"].(string); d == "" {
					fault("%s: response %s has no description", at, code)
				}
			}
			if body, ok := op["requestBody"]; ok && len(object(object(deref(doc, body))["content"])) == 0 {
				fault("%s: requestBody has no content", at)
			}
			checkSecurity(at, op["security"])
			declared := pathParams(doc, op["parameters"], at, fault)
			isDeclared := map[string]bool{}
			for _, n := range append(shared, declared...) {
				isDeclared[n] = true
				if !slices.Contains(inTemplate, n) {
					fault("%s: path parameter %q is not in the path", at, n)
				}
			}
			for _, n := range inTemplate {
				if !isDeclared[n] {
					fault("%s: {%s} is not declared as a path parameter", at, n)
				}
			}
		}
		if operations == 0 {
			fault("%s: no operations", path)
		}
	}
	return problems
}

// pathParams returns the names of the path parameters in list, and faults
// those that are not required or not well formed.
func pathParams(doc map[string]any, list any, at string, fault func(string, ...any)) []string {
	var names []string
	params, _ := list.([]any)
	for _, p := range params {
		param := object(deref(doc, p))
		name, _ := param["name"].(string)
		in, _ := param["in"].(string)
		if name == "" || !slices.Contains([]string{"path", "query", "header", "cookie"}, in) {
			fault("%s: parameter %v needs a name and in", at, p)
			continue
		}
		if param["schema"] == nil && param["content"] == nil {
			fault("%s: parameter %q has neither schema nor content", at, name)
		}
		if in != "path" {
			continue
		}
		if param["required"] != true {
			fault("%s: path parameter %q must be required: true", at, name)
		}
		names = append(names, name)
	}
	return names
}

// walk calls fn on every object in v, with its JSON pointer.
func walk(v any, at string, fn func(at string, m map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(at, x)
		for _, k := range sortedKeys(x) {
			walk(x[k], at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), fn)
		}
	case []any:
		for i, e := range x {
			walk(e, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// resolvePointer returns what a local reference ("#/components/...")
// points at in doc, or nil.
func resolvePointer(doc map[string]any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[tok]; !ok {
			return nil
		}
	}
	return cur
}

// deref follows v's $ref, if it has one.
func deref(doc map[string]any, v any) any {
	for range 10 {
		ref, ok := object(v)["$ref"].(string)
		if !ok {
			return v
		}
		v = resolvePointer(doc, ref)
	}
	return v
}

func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
