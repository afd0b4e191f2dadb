package admin

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// DescriptionPath is where the admin API's OpenAPI description is served.
const DescriptionPath = "/v1/openapi.json"

// openAPI is the OpenAPI 3.1 description of every /v1 call. It is written
// by hand beside the handlers it describes; internal/app's tests fail when
// it and the routes an instance registers disagree, in either direction.
//
//go:embed openapi.json
var openAPI []byte

// openAPIETag changes only with the binary, so clients revalidate cheaply.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPI)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// Description returns the OpenAPI 3.1 description of the admin API.
func Description() []byte { return bytes.Clone(openAPI) }

// ServeDescription registers GET /v1/openapi.json, the API's OpenAPI
// description, among rt's routes.
//
// It is served without the admin token, unlike every other /v1 call. The
// document is the same for every installation (it is compiled into the
// binary and names no host, record, setting or secret), and it says no
// more than README.md already publishes; what the token guards is the
// records and the power to change them, which the description does not
// give. Tools that read OpenAPI (code generators, Swagger UI, API
// clients) fetch the document before they know any credential, and
// browser-based ones from another origin, hence the CORS header too, which
// grants only this read (no credentials).
func (rt *Router) ServeDescription() {
	pattern := "GET " + DescriptionPath
	rt.routes = append(rt.routes, pattern)
	rt.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", openAPIETag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(openAPI))
	}))
}
