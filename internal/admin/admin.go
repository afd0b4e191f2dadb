// Package admin owns the admin API's common ground: bearer-token
// authentication, the router every resource registers its /v1 calls on,
// the strict JSON decoding of request bodies, Resource, the calls every
// kind of record shares (list, get, rename, delete), and the API's OpenAPI
// description (openapi.json, served at /v1/openapi.json). Each resource
// adds its own calls (creation, a bucket's policy) beside its model.
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/signedgate/gateway/internal/server"
)

// Router registers admin calls on a mux, each behind the token check.
type Router struct {
	mux    *http.ServeMux
	tokens TokenChecker
	// MaxBody caps JSON request bodies.
	MaxBody int64
	// routes are the patterns registered through the router, in order:
	// what the OpenAPI description is checked against.
	routes []string
}

// NewRouter returns a router on mux that admits requests bearing token.
func NewRouter(mux *http.ServeMux, token string, maxBody int64) *Router {
	return NewRouterWith(mux, NewTokens(token), maxBody)
}

// NewRouterWith returns a router on mux that admits requests bearing a
// token that tokens admits: any of a *Tokens, say.
func NewRouterWith(mux *http.ServeMux, tokens TokenChecker, maxBody int64) *Router {
	return &Router{mux: mux, tokens: tokens, MaxBody: maxBody}
}

// Handle registers h for pattern (such as "GET /v1/buckets") behind the
// token check.
func (rt *Router) Handle(pattern string, h server.HandlerFunc) {
	rt.routes = append(rt.routes, pattern)
	rt.mux.Handle(pattern, server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := rt.authorize(r); err != nil {
			return err
		}
		return h(w, r)
	}))
}

// Routes returns the patterns registered through rt, in the order they
// were registered. Registration happens while the instance is built, before
// it serves; Routes is not safe to call concurrently with Handle.
func (rt *Router) Routes() []string { return slices.Clone(rt.routes) }

func (rt *Router) authorize(r *http.Request) error {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return server.Errorf(http.StatusUnauthorized, server.CodeUnauthorized,
			"missing admin token: send Authorization: Bearer <token>").
			WithHeader("WWW-Authenticate", `Bearer realm="gateway admin"`)
	}
	if !rt.tokens.Admits(strings.TrimSpace(token)) {
		return server.Errorf(http.StatusUnauthorized, server.CodeUnauthorized, "invalid admin token").
			WithHeader("WWW-Authenticate", `Bearer realm="gateway admin", error="invalid_token"`)
	}
	return nil
}

// DecodeJSON reads r's body into v: one JSON object, no unknown fields (a
// misspelt field is an error, not a silently ignored one), at most max bytes.
// An empty body decodes as {} when allowEmpty is set.
func DecodeJSON(r *http.Request, max int64, v any, allowEmpty bool) error {
	body := http.MaxBytesReader(nil, r.Body, max)
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return server.Errorf(http.StatusRequestEntityTooLarge, server.CodeTooLarge,
				"request body is larger than %d bytes", max)
		}
		return server.BadRequest(server.CodeInvalidJSON, "could not read the request body")
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		if allowEmpty {
			return nil
		}
		return server.BadRequest(server.CodeInvalidJSON, "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return server.BadRequest(server.CodeInvalidJSON, "request body is not valid JSON: %s", describeJSONError(err))
	}
	if dec.More() {
		return server.BadRequest(server.CodeInvalidJSON, "request body holds more than one JSON value")
	}
	return nil
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("expected %s, got %s", typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	default:
		return "malformed JSON"
	}
}

// OK is the answer of calls that only succeed.
var OK = map[string]string{"status": "ok"}
