package s3api

import (
	"errors"
	"net/http"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify"
	"github.com/signedgate/gateway/internal/verify/sigv4"
)

func objectsValidKey(key string) bool { return objects.ValidKey(key) }

// caller is an authenticated request's bucket, key and signature.
type caller struct {
	bucket bucket.Bucket
	key    *AccessKey
	auth   *sigv4.Auth
}

// authenticate checks r's signature and that its key may do req. The
// bucket is returned as soon as the key is known to be its own, so that
// refusals after that point carry the bucket's CORS headers.
func (h *Handler) authenticate(r *http.Request, req request) (*bucket.Bucket, *caller, error) {
	sr := &sigv4.Request{
		Method: r.Method, Host: r.Host, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header,
	}
	auth, err := sigv4.Parse(sr)
	if errors.Is(err, sigv4.ErrNoAuth) {
		return nil, nil, h.refuse(accessDenied("Access Denied: anonymous requests are not served; sign the request with an access key"), "anonymous")
	}
	if err != nil {
		return nil, nil, h.refuse(err, "")
	}
	key, ok, err := h.Keys.Lookup(r.Context(), auth.Credential.AccessKeyID)
	if err != nil {
		return nil, nil, unavailable(err)
	}
	if !ok {
		return nil, nil, h.refuse(s3Error(http.StatusForbidden, CodeInvalidAccessKeyID,
			"The AWS Access Key Id you provided does not exist in our records."), "")
	}
	if err := sigv4.Verify(sr, auth, key.Secret, h.Region, h.Now()); err != nil {
		return nil, nil, h.refuse(err, "")
	}
	if key.Bucket != req.bucket {
		return nil, nil, h.refuse(accessDenied("Access Denied: the access key does not open this bucket"), "other_bucket")
	}
	b, ok, err := h.Buckets.Lookup(r.Context(), req.bucket)
	if err != nil {
		return nil, nil, unavailable(err)
	}
	if !ok {
		return nil, nil, s3Error(http.StatusNotFound, CodeNoSuchBucket, "The specified bucket does not exist")
	}
	if !key.BucketCreated.IsZero() && !key.BucketCreated.Equal(b.Created) {
		// The bucket was deleted and made again: another bucket, which
		// this key was never given.
		return nil, nil, h.refuse(accessDenied("Access Denied: the access key was made for an earlier bucket of this name"), "other_bucket")
	}
	if !key.Allows(req.permission) {
		return &b, nil, h.refuse(accessDenied("Access Denied: the access key may not %s (%s)", req.permission, req.op), "permission")
	}
	return &b, &caller{bucket: b, key: &key, auth: auth}, nil
}

// refuse counts a refusal by reason (its S3 code unless reason says
// otherwise) and returns it.
func (h *Handler) refuse(err error, reason string) error {
	if h.Refusals != nil {
		if reason == "" {
			reason = "malformed"
			var rf *verify.Refusal
			var se *server.Error
			switch {
			case errors.As(err, &rf):
				reason = rf.Code()
			case errors.As(err, &se):
				reason = se.Code
			}
		}
		h.Refusals.WithLabelValues("s3", reason).Inc()
	}
	return err
}
