package signedurl

import (
	"errors"
	"net/http"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// FlowName labels this flow's refusals in metrics.
const FlowName = "signed_url"

// refuse marks a refusal from urlsig, jobspec or this package as one no
// cache may keep, and counts it.
func (h *Handler) refuse(err error) error {
	e, ok := server.PublicError(err)
	if !ok {
		e = server.WrapError(err, http.StatusBadRequest, server.CodeInvalidData, "invalid signed URL")
	}
	// A refusal depends on this exact URL: keep it out of shared caches so
	// a fixed link is not served the old refusal.
	e = e.WithHeader("Cache-Control", "no-store")
	if h.Metrics != nil {
		h.Metrics.Refusals.WithLabelValues(FlowName, e.Code).Inc()
	}
	return e
}

// refuseSignature refuses a URL whose signature does not hold. In debug
// mode the message also names the string the gateway signed, so whoever
// built the link can compare it with their own; never the secret, and
// never the expected signature, which would make the gateway a signing
// oracle for anyone who sends it a URL.
func (h *Handler) refuseSignature(err error, b Base, q urlsig.Query) error {
	var ue *verify.Refusal
	if h.Debug && errors.As(err, &ue) && ue.Code() == urlsig.CodeInvalidSignature {
		return h.refuse(server.Errorf(ue.Status(), ue.Code(), "%s; the gateway signed %q (GATEWAY_SIGNED_URL_DEBUG is on)",
			ue.Error(), urlsig.StringToSign(b.Base, q.Rest)))
	}
	return h.refuse(err)
}
