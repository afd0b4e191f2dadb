package signedurl

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// StatusPattern is the route of the job statuses a waiting page polls. It
// lives under /outputs, a prefix no base may take.
const StatusPattern = "GET /outputs/status/{job}"

// statusTTL is how long a waiting page may poll its job's status.
const statusTTL = time.Hour

// CodeStatusExpired refuses a status URL past its expiry.
const CodeStatusExpired = "STATUS_URL_EXPIRED"

// statusURL is the path a waiting page polls for the progress of job:
// signed with the base's secret for this job only, so that it shows
// nothing of another job and tells nothing of the secret.
func statusURL(b Base, jobID string, now time.Time) string {
	exp := now.Add(statusTTL).Unix()
	return "/outputs/status/" + url.PathEscape(jobID) + "?base=" + url.QueryEscape(b.ID) +
		"&expires=" + strconv.FormatInt(exp, 10) + "&sig=" + statusSig(b.Secret, jobID, exp)
}

func statusSig(secret, jobID string, exp int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "job-status\n%s\n%d", jobID, exp)
	return hex.EncodeToString(mac.Sum(nil))
}

// StatusHandler answers a waiting page's polls: the job's status, percent,
// and, once it has ended, where its file is or what went wrong.
func (h *Handler) StatusHandler() http.Handler {
	return server.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		jobID := r.PathValue("job")
		if err := h.checkStatusURL(r.Context(), r.URL.Query(), jobID, time.Now()); err != nil {
			return h.refuse(err)
		}
		raw, ok, err := h.Runner.Lookup(r.Context(), jobID)
		if err != nil {
			return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
				"the job's status cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
		}
		if !ok {
			return server.Errorf(http.StatusNotFound, server.CodeNotFound, "the job is no longer known (ended jobs are kept for an hour)")
		}
		w.Header().Set("Cache-Control", "no-store")
		server.WriteJSON(w, http.StatusOK, viewOf(raw))
		return nil
	})
}

func (h *Handler) checkStatusURL(ctx context.Context, q url.Values, jobID string, now time.Time) error {
	sig, baseID := q.Get("sig"), q.Get("base")
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if sig == "" || baseID == "" || err != nil {
		return server.Errorf(http.StatusForbidden, urlsig.CodeMissingSignature, "the status URL lacks base, expires or sig")
	}
	if ValidateID(baseID) != nil {
		return server.Errorf(http.StatusForbidden, urlsig.CodeInvalidSignature, "the status URL's signature does not match")
	}
	b, err := h.Repo.Get(ctx, baseID)
	if errors.Is(err, store.ErrNotFound) {
		return server.Errorf(http.StatusForbidden, urlsig.CodeInvalidSignature, "the status URL's signature does not match")
	}
	if err != nil {
		return server.WrapError(err, http.StatusServiceUnavailable, server.CodeUnavailable,
			"signed-URL bases cannot be read right now; retry shortly").WithHeader("Retry-After", "1")
	}
	if !hmac.Equal([]byte(sig), []byte(statusSig(b.Secret, jobID, exp))) {
		return server.Errorf(http.StatusForbidden, urlsig.CodeInvalidSignature, "the status URL's signature does not match")
	}
	if now.Unix() > exp {
		return server.Errorf(http.StatusForbidden, CodeStatusExpired, "the status URL has expired; open the link again")
	}
	return nil
}

// location is the first file of the first finished export/url task of a
// status, the file a finished job's page sends its person to.
func location(status json.RawMessage) string {
	var st struct {
		Tasks []struct {
			Operation string `json:"operation"`
			Status    string `json:"status"`
			Result    *struct {
				Files []struct {
					URL string `json:"url"`
				} `json:"files"`
			} `json:"result"`
		} `json:"tasks"`
	}
	if json.Unmarshal(status, &st) != nil {
		return ""
	}
	for _, t := range st.Tasks {
		if t.Operation != "export/url" || t.Status != "finished" || t.Result == nil {
			continue
		}
		for _, f := range t.Result.Files {
			if f.URL != "" {
				return f.URL
			}
		}
	}
	return ""
}
