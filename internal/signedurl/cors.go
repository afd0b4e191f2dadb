package signedurl

import (
	"net/http"

	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/server"
)

// corsEndpoint is what a page of another origin may do with a base's
// links under the base's CORS rule: fetch() one (GET or HEAD) and read
// its answer (the redirect it follows, the job's status or error) and the
// job's id.
var corsEndpoint = cors.NewEndpoint(cors.ReadMethods, cors.ReadRequestHeaders, []string{"X-Job-Id", "Retry-After"})

// allowOrigin writes b's CORS headers for r. serve calls it before any
// check, so that refusals carry them too and a page can read why its link
// was refused.
func allowOrigin(w http.ResponseWriter, r *http.Request, b Base) {
	corsEndpoint.Actual(w.Header(), b.CORS, r)
}

// routePreflight claims a CORS preflight for a base's path. A preflight
// carries no signature: the base's rule alone answers it (204, or 403
// when the base has no rule or the rule does not allow the request).
// Other requests with other methods are not claimed.
func (h *Handler) routePreflight(r *http.Request) (http.Handler, string) {
	if !cors.IsPreflight(r) {
		return nil, ""
	}
	b, ok, err := h.Repo.ByPath(r.Context(), r.URL.Path)
	switch {
	case err != nil:
		return server.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
				"signed-URL bases cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
		}), RouteName
	case !ok:
		return nil, ""
	}
	return server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return corsEndpoint.Preflight(w, r, b.CORS)
	}), RouteName
}
