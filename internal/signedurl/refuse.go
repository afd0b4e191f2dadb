package signedurl

import (
	"errors"
	"net/http"

	"github.com/signedgate/gateway/internal/apierr"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// FlowName labels this flow's refusals in metrics.
const FlowName = "signed_url"

// coded is what urlsig's and jobspec's errors have in common.
type coded interface {
	error
	Code() string
	Status() int
}

// refuse turns a refusal from urlsig, jobspec or this package into the
// error the client sees, and counts it.
func (h *Handler) refuse(err error) error {
	var e *apierr.Error
	var c coded
	switch {
	case errors.As(err, &e):
	case errors.As(err, &c):
		// Their messages are written for the client and hold no secret.
		e = apierr.New(c.Status(), c.Code(), "%s", c.Error())
	default:
		e = apierr.Wrap(err, http.StatusBadRequest, apierr.CodeInvalidData, "invalid signed URL")
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
	var ue *urlsig.Error
	if h.Debug && errors.As(err, &ue) && ue.Code() == urlsig.CodeInvalidSignature {
		return h.refuse(apierr.New(ue.Status(), ue.Code(), "%s; the gateway signed %q (GATEWAY_SIGNED_URL_DEBUG is on)",
			ue.Error(), urlsig.StringToSign(b.Base, q.Rest)))
	}
	return h.refuse(err)
}
