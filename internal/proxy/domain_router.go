package proxy

import (
	"context"
	"net/http"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/server/fastlane"
)

// DomainRouteName labels custom-domain requests in metrics.
const DomainRouteName = "delivery-domain"

// DomainRouter claims every request whose Host is a registered custom domain,
// except on the gateway's own public host, and hands it to Serve with the
// domain's record.
type DomainRouter struct {
	Repo    *DomainRepo
	OwnHost string
	// Serve answers a request for d; the whole path is a path in d.Bucket.
	Serve func(w http.ResponseWriter, r *http.Request, d Domain) error
}

var _ server.Router = (*DomainRouter)(nil)

// Route looks the Host up in the cached collection: one hash and one map
// read, no store round trip.
func (rt *DomainRouter) Route(r *http.Request) (http.Handler, string) {
	host := HostOf(r.Host)
	if host == "" || host == rt.OwnHost {
		return nil, ""
	}
	d, ok, err := rt.Repo.ForHost(r.Context(), host)
	if err != nil {
		// The store did not answer. Claiming the request would turn
		// /healthz and /readyz on every host into errors too; left to the
		// gateway's own routes, a custom-domain request meets the same
		// store failure on its way to a bucket.
		server.Log(r).Warn("custom domain lookup failed", "host", host, "err", err)
		return nil, ""
	}
	if !ok {
		return nil, ""
	}
	return server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return rt.Serve(w, r, d)
	}), DomainRouteName
}

// FastRoute leaves custom-domain requests to net/http; it passes the rest
// on, as Route does.
func (rt *DomainRouter) FastRoute(req *fastlane.Request, _ *fastlane.Response) (string, fastlane.Verdict) {
	host := HostOf(req.Host)
	if host == "" || host == rt.OwnHost {
		return "", fastlane.Pass
	}
	_, ok, err := rt.Repo.ForHost(context.Background(), host)
	switch {
	case err != nil:
		return DomainRouteName, fastlane.Slow
	case !ok:
		return "", fastlane.Pass
	}
	return DomainRouteName, fastlane.Slow
}
