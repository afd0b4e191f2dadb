package upload

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Service serves the upload endpoint.
type Service struct {
	Keys    *KeyRepo
	Presets *PresetRepo
	Buckets *bucket.Repo
	Fetch   *fetch.Client
	Now     func() time.Time
	// PublicURL prefixes the url and secure_url of results.
	PublicURL string
	// MaxBytes caps one file.
	MaxBytes int64
	// AllowV1 accepts the unescaped string to sign of older SDKs.
	AllowV1 bool
	// WorkDir holds staged files and the parts of chunked uploads.
	WorkDir string
	// ChunkTimeout is how long an unfinished chunked upload is kept.
	ChunkTimeout time.Duration
	// Stores gives each bucket's asset store (its directory, or its S3
	// bucket); nil: one of the service's own, without S3 defaults.
	Stores *assets.Stores

	// Refusals counts failed credential checks by reason (flow "upload");
	// nil disables counting.
	Refusals *prometheus.CounterVec

	locks      pathLocks
	storesOnce sync.Once
}

func (s *Service) stores() *assets.Stores {
	s.storesOnce.Do(func() {
		if s.Stores == nil {
			s.Stores = &assets.Stores{}
		}
	})
	return s.Stores
}

// refuse counts a credential refusal and returns err.
func (s *Service) refuse(reason string, err error) error {
	if s.Refusals != nil {
		s.Refusals.WithLabelValues("upload", reason).Inc()
	}
	return err
}

// The directories under WorkDir of staged files and of chunked uploads.
const (
	stagingName = "staging"
	chunksName  = "chunks"
)

func (s *Service) stageDir() string { return filepath.Join(s.WorkDir, stagingName) }
func (s *Service) chunkDir() string { return filepath.Join(s.WorkDir, chunksName) }

// Register adds the upload endpoint to mux.
func (s *Service) Register(mux *http.ServeMux) {
	const pattern = "/v1_1/{cloud}/{resource_type}/{action}"
	mux.HandleFunc("POST "+pattern, s.serve)
	mux.HandleFunc("OPTIONS "+pattern, preflight)
}

// Browsers post straight to the endpoint from any page, as they do to
// Cloudinary; the request carries its own credential (the signature), so
// allowing every origin exposes nothing a form post could not reach.
func cors(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
}

func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	cors(h)
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Content-Range, X-Unique-Upload-Id, X-Requested-With")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

var resourceTypes = map[string]bool{"image": true, "video": true, "raw": true, "auto": true}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	cors(w.Header())
	if err := s.handle(w, r); err != nil {
		writeError(w, r, err)
	}
}

func (s *Service) handle(w http.ResponseWriter, r *http.Request) error {
	cloud, rtype, action := r.PathValue("cloud"), r.PathValue("resource_type"), r.PathValue("action")
	if !resourceTypes[rtype] {
		return badRequest("Invalid resource type %s: use image, video, raw or auto", truncate(rtype, 32))
	}
	if action != "upload" && action != "destroy" {
		return notFound("Unsupported action %s: this gateway supports upload and destroy", truncate(action, 32))
	}
	b, err := s.readBody(w, r, cloud, action)
	if err != nil {
		return err
	}
	defer b.discard()
	p := uploadsig.Collect(b.values)
	// The credential was checked before the file part when the parameters
	// came first; nothing has been added to them since.
	var t target
	if b.early != nil {
		t = *b.early
	} else if t, err = s.authenticate(r.Context(), cloud, action, p); err != nil {
		return err
	}
	if err := s.stageHeld(b); err != nil {
		return err
	}
	if action == "destroy" {
		return s.destroy(w, r, t, rtype, p)
	}
	if cr := r.Header.Get("Content-Range"); cr != "" {
		return s.chunk(w, r, t, rtype, p, b, cr)
	}
	return s.upload(w, r, t, rtype, p, b)
}

// target is who an authenticated request acts for and where it stores.
type target struct {
	cloud  string
	key    APIKey  // zero for unsigned uploads
	preset *Preset // set for unsigned uploads
	store  assets.Store
	// where names the bucket's storage (its origin), for the locks of
	// its assets.
	where string
}

func (t target) secret() string { return t.key.APISecret }

// authenticate checks the request's credential and counts a refusal.
func (s *Service) authenticate(ctx context.Context, cloud, action string, p uploadsig.Params) (target, error) {
	t, reason, err := s.check(ctx, cloud, action, p)
	if reason != "" {
		return t, s.refuse(reason, err)
	}
	return t, err
}

// check checks the request's credential: a signature by one of the
// cloud's API keys, or, for uploads only, an unsigned preset. A refusal
// comes with its reason for the refusal counter; other errors without.
func (s *Service) check(ctx context.Context, cloud, action string, p uploadsig.Params) (target, string, error) {
	t := target{cloud: cloud}
	var bucketName string
	// No signature plus a preset is an unsigned upload, whether or not the
	// client also sent its api_key.
	if p["signature"] == "" && p["upload_preset"] != "" {
		if action != "upload" {
			return t, "missing_signature", missingParam("signature")
		}
		pr, ok, err := s.Presets.LookupFresh(ctx, p["upload_preset"])
		if err != nil {
			return t, "", internal(err)
		}
		if !ok || pr.CloudName != cloud {
			return t, "unknown_preset", badRequest("Upload preset not found")
		}
		if !pr.Unsigned {
			return t, "signed_preset", badRequest("Upload preset must be whitelisted for unsigned uploads")
		}
		t.preset, bucketName = &pr, pr.Bucket
	} else {
		keyID := p["api_key"]
		if keyID == "" {
			return t, "missing_api_key", missingParam("api_key")
		}
		k, ok, err := s.Keys.LookupFresh(ctx, keyID)
		if err != nil {
			return t, "", internal(err)
		}
		if !ok {
			return t, "unknown_key", unauthorized("Unknown API key %s", truncate(keyID, 64))
		}
		if k.CloudName != cloud {
			return t, "wrong_cloud", unauthorized("Invalid cloud_name %s", truncate(cloud, 64))
		}
		if p["signature"] == "" {
			return t, "missing_signature", missingParam("signature")
		}
		if err := uploadsig.CheckTimestamp(p["timestamp"], s.Now()); err != nil {
			return t, "timestamp", err
		}
		if _, err := uploadsig.Verify(p, p["signature"], k.APISecret, s.AllowV1); err != nil {
			return t, "bad_signature", err
		}
		t.key, bucketName = k, k.Bucket
	}
	bk, ok, err := s.Buckets.Lookup(ctx, bucketName)
	if err != nil {
		return t, "", internal(err)
	}
	if !ok {
		return t, "", notFound("Bucket %s of cloud %s does not exist", bucketName, cloud)
	}
	st, err := s.stores().For(ctx, bk)
	if errors.Is(err, assets.ErrReadOnly) {
		return t, "", badRequest("Bucket %s has a read-only http origin; uploads need a bucket with a file:// or s3:// origin", bucketName)
	}
	if err != nil {
		return t, "", internal(err)
	}
	t.store, t.where = st, bk.Origin
	return t, "", nil
}
