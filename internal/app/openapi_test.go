package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// These tests hold the admin API's OpenAPI description (internal/admin/
// openapi.json) to what a real instance does: the routes it registers,
// the answers each route gives, and the shape of those answers.

// Every /v1 route the instance registers is described, and every
// described route is registered; the description is served as it is
// embedded, without the token.
func TestOpenAPIDescribesEveryRegisteredRoute(t *testing.T) {
	g := apptest.Start(t, nil)
	d := loadDescription(t)

	registered := g.App.AdminRoutes()
	if len(registered) < 30 {
		t.Fatalf("the instance registered %d admin routes: %q; the list is not being recorded", len(registered), registered)
	}
	described := map[string]bool{}
	for _, op := range d.operations() {
		described[op.route()] = true
	}
	seen := map[string]bool{}
	for _, r := range registered {
		if seen[r] {
			t.Errorf("route %s is registered twice", r)
		}
		seen[r] = true
		if !strings.HasPrefix(strings.SplitN(r, " ", 2)[1], "/v1/") {
			t.Errorf("route %s is registered on the admin router outside /v1", r)
		}
		if !described[r] {
			t.Errorf("route %s is registered but internal/admin/openapi.json does not describe it", r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(described)) {
		if !seen[r] {
			t.Errorf("internal/admin/openapi.json describes %s, which the instance does not register", r)
		}
	}

	resp, err := http.Get(g.URL + admin.DescriptionPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !bytes.Equal(body, admin.Description()) {
		t.Errorf("GET %s without a token: %d %q, %d bytes", admin.DescriptionPath, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

// Each described route answers as a route: never the router's "no route"
// 404 nor a 405, with a status the description lists for it and a body of
// the shape it describes; without the token, 401 (except the description
// itself, which needs none).
func TestOpenAPIRoutesAnswer(t *testing.T) {
	g := apptest.Start(t, nil)
	d := loadDescription(t)

	// The mark of the router's own 404, checked here so that a change to
	// it cannot make every route below look registered.
	status, body := send(t, g, "", "GET", "/v1/no-such-route", "")
	if !unknownRoute(status, body) {
		t.Fatalf("an unknown route: got %d %s, want the router's 404 \"no route for ...\"", status, body)
	}

	for _, op := range d.operations() {
		path := op.fill(d)
		reqBody := ""
		if op.op["requestBody"] != nil {
			reqBody = "{}"
		}
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			status, body := send(t, g, "", op.method, path, reqBody)
			switch {
			case !op.needsToken(d):
				if status != 200 {
					t.Errorf("without a token: got %d, want 200 (the description says it needs none)", status)
				}
			case status != 401:
				t.Errorf("without a token: got %d %s, want 401", status, body)
			default:
				d.checkAnswer(t, op, status, body)
			}

			status, body = send(t, g, g.Token, op.method, path, reqBody)
			if unknownRoute(status, body) || status == http.StatusMethodNotAllowed {
				t.Fatalf("%s %s: got %d %s: the route is not served", op.method, path, status, body)
			}
			d.checkAnswer(t, op, status, body)
		})
	}
}

// Real answers of every kind of record, created, listed, changed and
// deleted, have the shapes the description gives them, field for field.
func TestOpenAPIDescribesRealAnswers(t *testing.T) {
	g := startApp(t, t.TempDir())
	d := loadDescription(t)
	media := t.TempDir()
	call := func(method, path, body string, want int) map[string]any {
		t.Helper()
		status, answer := send(t, g, g.Token, method, path, body)
		if status != want {
			t.Fatalf("%s %s: got %d %s, want %d", method, path, status, answer, want)
		}
		op, ok := d.match(method, path)
		if !ok {
			t.Fatalf("%s %s is not described", method, path)
		}
		if body != "" && want < 300 {
			// A body the gateway accepts fits the described request.
			var v any
			json.Unmarshal([]byte(body), &v)
			for _, p := range d.validate(d.requestSchema(op), v, "body") {
				t.Errorf("%s %s: the gateway accepts this body, the description refuses it: %s", method, path, p)
			}
		}
		d.checkAnswer(t, op, status, answer)
		var out map[string]any
		json.Unmarshal(answer, &out)
		return out
	}
	field := func(m map[string]any, one, key string) string {
		t.Helper()
		s, _ := m[one].(map[string]any)[key].(string)
		if s == "" {
			t.Fatalf("no %s.%s in %v", one, key, m)
		}
		return s
	}

	call("PUT", "/v1/buckets/films", `{"origin":"file://`+media+`","policy":"public",
		"cors":{"allowed_origins":["https://player.example.com"],"allow_credentials":true},"cache_control":"public, max-age=60"}`, 201)
	call("PUT", "/v1/buckets/films", `{"origin":"file://`+media+`"}`, 200)
	call("PUT", "/v1/buckets/archive", `{"origin":"s3://archive/films","s3":{"endpoint":"https://s3.example.com",
		"region":"eu-west-1","access_key_id":"AKIA0123","secret_access_key":"secret0123","force_path_style":true}}`, 201)
	call("PUT", "/v1/buckets/films/policy/authenticated", "", 200)
	call("PUT", "/v1/buckets/films/policy/private", "", 400)
	call("GET", "/v1/buckets", "", 200)
	call("GET", "/v1/buckets/archive", "", 200)
	call("GET", "/v1/buckets/Not_A_Name", "", 400)

	key := field(call("POST", "/v1/signing-keys", `{"bucket":"films","name":"player"}`, 201), "signing_key", "id")
	call("POST", "/v1/signing-keys", `{"bucket":"nobody"}`, 404)
	call("GET", "/v1/signing-keys", "", 200)
	call("PUT", "/v1/signing-keys/"+key, `{"name":null}`, 200)
	call("GET", "/v1/signing-keys/"+key, "", 200)

	dom := field(call("POST", "/v1/domains", `{"domain":"media.example.com","bucket":"films"}`, 201), "domain", "id")
	call("POST", "/v1/domains", `{"domain":"media.example.com","bucket":"films"}`, 409)
	call("GET", "/v1/domains", "", 200)
	call("GET", "/v1/domains/"+dom, "", 200)

	ak := field(call("POST", "/v1/access-keys", `{"bucket":"films","permissions":["write","read","write"],"name":"ci"}`, 201),
		"access_key", "access_key_id")
	call("POST", "/v1/access-keys", `{"bucket":"films","permissions":["admin"]}`, 400)
	call("POST", "/v1/access-keys", `{"bucket":"films","permissions":["read"],"colour":"blue"}`, 400)
	call("GET", "/v1/access-keys", "", 200)
	call("PUT", "/v1/access-keys/"+ak, `{"name":"deploy"}`, 200)
	call("GET", "/v1/access-keys/"+ak, "", 200)

	call("POST", "/v1/signed-url-bases", "", 201)
	call("POST", "/v1/signed-url-bases", `{"id":"conv","name":"conversions","signing_secret":"0123456789abcdef",
		"cors":{"allowed_origins":["*"]}}`, 201)
	call("POST", "/v1/signed-url-bases", `{"id":"conv"}`, 409)
	call("GET", "/v1/signed-url-bases", "", 200)
	call("GET", "/v1/signed-url-bases/conv", "", 200)

	apiKey := field(call("POST", "/v1/api-keys", `{"cloud_name":"demo","bucket":"films"}`, 201), "api_key", "api_key")
	call("POST", "/v1/api-keys", `{"cloud_name":"demo","bucket":"films","api_key":"`+apiKey+`"}`, 409)
	call("POST", "/v1/api-keys", `{"cloud_name":"demo","bucket":"nobody"}`, 400)
	call("GET", "/v1/api-keys", "", 200)
	call("GET", "/v1/api-keys/"+apiKey, "", 200)

	call("POST", "/v1/upload-presets", `{"name":"browser","cloud_name":"demo","bucket":"films","unsigned":true,"folder":"/inbox/"}`, 201)
	call("POST", "/v1/upload-presets", `{"name":"signed","cloud_name":"demo","bucket":"films"}`, 201)
	call("GET", "/v1/upload-presets", "", 200)
	call("GET", "/v1/upload-presets/browser", "", 200)

	call("GET", "/v1/formats", "", 200)
	spec, err := jobspec.Decode([]byte(`{"tag":"openapi","tasks":{
		"in":{"operation":"import/raw","file":"hello","filename":"hello.txt"},
		"out":{"operation":"export/url","input":"in"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	j, err := g.App.Jobs.Submit(spec)
	if err != nil {
		t.Fatal(err)
	}
	<-j.Done()
	job := call("GET", "/v1/jobs/"+j.ID(), "", 200)
	if tasks, _ := job["data"].(map[string]any)["tasks"].([]any); len(tasks) != 2 {
		t.Errorf("job: %v", job)
	}

	for _, path := range []string{"/v1/signing-keys/" + key, "/v1/domains/" + dom, "/v1/access-keys/" + ak,
		"/v1/signed-url-bases/conv", "/v1/api-keys/" + apiKey, "/v1/upload-presets/browser", "/v1/buckets/archive"} {
		call("DELETE", path, "", 200)
		call("DELETE", path, "", 404)
	}
	call("PUT", "/v1/buckets/films", strings.Repeat(" ", int(g.Config.MaxAdminBodyBytes)+1), 413)
}

// The schema check finds each kind of difference it is meant to find.
func TestOpenAPISchemaCheckFindsFaults(t *testing.T) {
	d := loadDescription(t)
	ref := func(name string) any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	good := `{"name":"films","origin":"file:///srv","policy":"public","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z"}`
	for _, c := range []struct{ name, schema, value, want string }{
		{"a good bucket", "Bucket", good, ""},
		{"missing field", "Bucket", strings.Replace(good, `"name":"films",`, "", 1), `required field "name"`},
		{"undescribed field", "Bucket", strings.Replace(good, `{`, `{"colour":"red",`, 1), `field "colour" is not described`},
		{"not in enum", "Bucket", strings.Replace(good, `"public"`, `"private"`, 1), "is not one of"},
		{"pattern", "Bucket", strings.Replace(good, `"films"`, `"Films"`, 1), "does not match"},
		{"wrong type", "Bucket", strings.Replace(good, `"films"`, `7`, 1), "integer is not of type"},
		{"null for a string", "Bucket", strings.Replace(good, `"films"`, `null`, 1), "null is not of type"},
		{"too few items", "AccessKeyCreate", `{"bucket":"films","permissions":[]}`, "fewer than"},
		{"repeated item", "AccessKey", `{"access_key_id":"GKAAAAAAAAAAAAAAAAAA","bucket":"b","permissions":["read","read"],"name":null,"created":"2026-01-02 03:04:05"}`, "repeats"},
		{"const", "Status", `{"status":"fine"}`, "is not ok"},
		{"maximum", "CORSRule", `{"allowed_origins":["*"],"max_age":86401}`, "is more than"},
		{"too long", "Name", `"` + strings.Repeat("n", 201) + `"`, "is longer than"},
	} {
		var v any
		if err := json.Unmarshal([]byte(c.value), &v); err != nil {
			t.Fatal(err)
		}
		faults := d.validate(ref(c.schema), v, "$")
		switch {
		case c.want == "" && len(faults) > 0:
			t.Errorf("%s: %q", c.name, faults)
		case c.want != "" && !slices.ContainsFunc(faults, func(f string) bool { return strings.Contains(f, c.want) }):
			t.Errorf("%s: faults %q, want one about %q", c.name, faults, c.want)
		}
	}
}

// unknownRoute reports whether an answer is the router's own 404 for a
// path no route matches (internal/server's fallback), as opposed to a
// route's 404 for a record that does not exist.
func unknownRoute(status int, body []byte) bool {
	var e struct{ Message, Code string }
	json.Unmarshal(body, &e)
	return status == http.StatusNotFound && e.Code == "NOT_FOUND" && strings.HasPrefix(e.Message, "no route for ")
}

// send makes one request, with token unless it is "", and returns the
// status and body.
func send(t *testing.T, g *apptest.Gateway, token, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return resp.StatusCode, data
}

// description is the OpenAPI document, decoded.
type description struct{ doc map[string]any }

func loadDescription(t *testing.T) description {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(admin.Description(), &doc); err != nil {
		t.Fatalf("internal/admin/openapi.json: %v", err)
	}
	return description{doc}
}

// operation is one method on one path of the description.
type operation struct {
	method, path string
	op           map[string]any
	params       []any // the path item's, then the operation's
}

// route is the operation as a mux pattern, such as "GET /v1/buckets/{id}".
func (o operation) route() string { return o.method + " " + o.path }

// operations lists the described operations, sorted by path and method.
func (d description) operations() []operation {
	var out []operation
	paths, _ := d.doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		shared, _ := item["parameters"].([]any)
		for _, m := range []string{"get", "head", "post", "put", "patch", "delete", "options", "trace"} {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			own, _ := op["parameters"].([]any)
			out = append(out, operation{strings.ToUpper(m), path, op, append(slices.Clone(shared), own...)})
		}
	}
	return out
}

// match finds the operation of a request: the described path whose
// template matches, the one with fewest parameters when several do.
func (d description) match(method, path string) (operation, bool) {
	var best operation
	found := false
	segs := strings.Split(path, "/")
	for _, op := range d.operations() {
		tmpl := strings.Split(op.path, "/")
		if op.method != method || len(tmpl) != len(segs) {
			continue
		}
		ok := true
		for i, s := range tmpl {
			if !(s == segs[i] || strings.HasPrefix(s, "{") && segs[i] != "") {
				ok = false
				break
			}
		}
		if ok && (!found || strings.Count(op.path, "{") < strings.Count(best.path, "{")) {
			best, found = op, true
		}
	}
	return best, found
}

// fill returns the operation's path with each parameter replaced by its
// example, or its schema's first enum value, or "x".
func (o operation) fill(d description) string {
	path := o.path
	for _, p := range o.params {
		param, _ := d.resolve(p).(map[string]any)
		if param["in"] != "path" {
			continue
		}
		value := "x"
		schema, _ := d.resolve(param["schema"]).(map[string]any)
		if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
			value = fmt.Sprint(enum[0])
		}
		if ex, ok := param["example"].(string); ok {
			value = ex
		}
		path = strings.ReplaceAll(path, "{"+param["name"].(string)+"}", value)
	}
	return path
}

// needsToken reports whether the operation's security asks for the token.
func (o operation) needsToken(d description) bool {
	sec, ok := o.op["security"]
	if !ok {
		sec = d.doc["security"]
	}
	list, _ := sec.([]any)
	return len(list) > 0
}

// checkAnswer fails t unless the description lists status for op and body
// has the shape it gives that answer.
func (d description) checkAnswer(t *testing.T, op operation, status int, body []byte) {
	t.Helper()
	responses, _ := op.op["responses"].(map[string]any)
	r, ok := responses[strconv.Itoa(status)]
	if !ok {
		t.Errorf("%s answered %d %.300s, which the description does not list", op.route(), status, body)
		return
	}
	resp, _ := d.resolve(r).(map[string]any)
	content, _ := resp["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		t.Errorf("%s %d: the description gives no application/json content", op.route(), status)
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s %d: the answer is not JSON: %s", op.route(), status, body)
		return
	}
	for _, p := range d.validate(media["schema"], v, "$") {
		t.Errorf("%s %d: %s in %.300s", op.route(), status, p, body)
	}
}

// requestSchema is the schema of op's JSON request body.
func (d description) requestSchema(op operation) any {
	body, _ := d.resolve(op.op["requestBody"]).(map[string]any)
	content, _ := body["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	return media["schema"]
}

// resolve follows v's $ref, if it has one.
func (d description) resolve(v any) any {
	for range 10 {
		m, _ := v.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = d.doc
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[tok]
		}
		v = cur
	}
	return v
}

// validate checks v against the JSON schema the description gives it, for
// the keywords the description uses (type, const, enum, required,
// properties, items, minItems, maxItems, uniqueItems, pattern, minLength,
// maxLength, minimum, maximum), and more strictly than JSON Schema: an
// object's field that its schema's properties do not name is a fault, so
// that every field the gateway sends is described.
func (d description) validate(schema, v any, at string) []string {
	s, _ := d.resolve(schema).(map[string]any)
	if s == nil {
		return nil
	}
	var faults []string
	fault := func(format string, args ...any) { faults = append(faults, at+": "+fmt.Sprintf(format, args...)) }
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, v) {
		fault("%v is not %v", v, c)
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		fault("%v is not one of %v", v, enum)
	}
	var types []string
	switch ty := s["type"].(type) {
	case string:
		types = []string{ty}
	case []any:
		for _, e := range ty {
			types = append(types, e.(string))
		}
	}
	if len(types) > 0 && !slices.ContainsFunc(types, func(ty string) bool { return isJSONType(v, ty) }) {
		fault("%s is not of type %v", jsonKind(v), types)
		return faults
	}
	number := func(k string) (float64, bool) { f, ok := s[k].(float64); return f, ok }
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := x[r.(string)]; !ok {
				fault("required field %q is missing", r)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			ps, ok := props[k]
			if !ok {
				if props != nil {
					fault("field %q is not described", k)
				}
				continue
			}
			faults = append(faults, d.validate(ps, x[k], at+"."+k)...)
		}
	case []any:
		if n, ok := number("minItems"); ok && float64(len(x)) < n {
			fault("%d items, fewer than %v", len(x), n)
		}
		if n, ok := number("maxItems"); ok && float64(len(x)) > n {
			fault("%d items, more than %v", len(x), n)
		}
		for i, e := range x {
			if s["uniqueItems"] == true && slices.ContainsFunc(x[:i], func(o any) bool { return reflect.DeepEqual(o, e) }) {
				fault("item %d repeats an earlier one", i)
			}
			faults = append(faults, d.validate(s["items"], e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			fault("%q does not match %s", x, p)
		}
		if n, ok := number("minLength"); ok && float64(utf8.RuneCountInString(x)) < n {
			fault("%q is shorter than %v", x, n)
		}
		if n, ok := number("maxLength"); ok && float64(utf8.RuneCountInString(x)) > n {
			fault("%q is longer than %v", x, n)
		}
	case float64:
		if n, ok := number("minimum"); ok && x < n {
			fault("%v is less than %v", x, n)
		}
		if n, ok := number("maximum"); ok && x > n {
			fault("%v is more than %v", x, n)
		}
	}
	return faults
}

func isJSONType(v any, ty string) bool {
	switch x := v.(type) {
	case nil:
		return ty == "null"
	case bool:
		return ty == "boolean"
	case string:
		return ty == "string"
	case float64:
		return ty == "number" || ty == "integer" && x == math.Trunc(x)
	case []any:
		return ty == "array"
	case map[string]any:
		return ty == "object"
	}
	return false
}

func jsonKind(v any) string {
	for _, ty := range []string{"null", "boolean", "string", "integer", "number", "array", "object"} {
		if isJSONType(v, ty) {
			return ty
		}
	}
	return fmt.Sprintf("%T", v)
}
