package origin

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/signedgate/gateway/internal/server"
)

// Codes of upstream failures; stable for clients.
const (
	CodeUpstreamTimeout     = "UPSTREAM_TIMEOUT"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
)

// StatusClientClosed is logged (never sent) when the viewer went away
// before the upstream answered, as nginx and Caddy do.
const StatusClientClosed = 499

// proxyError answers a failed upstream round trip: 504 when the upstream
// was too slow, 502 when it could not be reached or broke the connection,
// nothing when the client itself went away. The cause, which may name the
// upstream's address, goes to the log only.
func proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		server.Log(r).Info("client went away before the origin answered",
			"status", StatusClientClosed, "err", err)
		return
	}
	writeError(w, r, classify(err))
}

func classify(err error) *server.Error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return server.WrapError(err, http.StatusGatewayTimeout, CodeUpstreamTimeout,
			"the origin of this bucket did not answer in time")
	}
	return server.WrapError(err, http.StatusBadGateway, CodeUpstreamUnavailable,
		"the origin of this bucket is unavailable")
}

func writeError(w http.ResponseWriter, r *http.Request, e *server.Error) {
	server.WriteError(w, r, e)
}
