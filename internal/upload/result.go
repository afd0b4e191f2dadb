package upload

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Result is the upload result JSON. Field names and types follow
// Cloudinary's: the SDKs decode it strictly (the Go SDK fails on an int
// sent as a string).
type Result struct {
	AssetID          string         `json:"asset_id"`
	PublicID         string         `json:"public_id"`
	Version          int64          `json:"version"`
	VersionID        string         `json:"version_id"`
	Signature        string         `json:"signature"`
	Width            int            `json:"width,omitempty"`
	Height           int            `json:"height,omitempty"`
	Format           string         `json:"format"`
	ResourceType     string         `json:"resource_type"`
	CreatedAt        string         `json:"created_at"`
	Tags             []string       `json:"tags"`
	Bytes            int64          `json:"bytes"`
	Type             string         `json:"type"`
	ETag             string         `json:"etag"`
	Placeholder      bool           `json:"placeholder"`
	URL              string         `json:"url"`
	SecureURL        string         `json:"secure_url"`
	OriginalFilename string         `json:"original_filename"`
	APIKey           string         `json:"api_key,omitempty"`
	Context          map[string]any `json:"context,omitempty"`
	Overwritten      bool           `json:"overwritten,omitempty"`
	Existing         bool           `json:"existing,omitempty"`
}

func (s *Service) result(t target, a assets.Asset) *Result {
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	u := s.PublicURL + "/" + t.cloud + "/" + a.ResourceType + "/" + a.Type + "/v" +
		strconv.FormatInt(a.Version, 10) + "/" + escapePublicID(a.FileName())
	res := &Result{
		AssetID:          a.AssetID,
		PublicID:         a.PublicID,
		Version:          a.Version,
		VersionID:        a.VersionID,
		Width:            a.Width,
		Height:           a.Height,
		Format:           a.Format,
		ResourceType:     a.ResourceType,
		CreatedAt:        a.CreatedAt.UTC().Format(time.RFC3339),
		Tags:             tags,
		Bytes:            a.Bytes,
		Type:             a.Type,
		ETag:             a.ETag,
		URL:              u,
		SecureURL:        u,
		OriginalFilename: a.OriginalFilename,
		APIKey:           t.key.APIKey,
		Context:          contextMap(a.Context),
	}
	if t.key.APISecret != "" {
		res.Signature = uploadsig.ResponseSignature(a.PublicID, a.Version, t.secret())
	}
	return res
}

// contextMap turns "k=v|k2=v2" into {"custom":{"k":"v","k2":"v2"}}, with
// Cloudinary's escapes (\| and \=) honoured.
func contextMap(ctx string) map[string]any {
	if ctx == "" {
		return nil
	}
	custom := map[string]any{}
	for _, pair := range splitEscaped(ctx, '|') {
		k, v, _ := cutEscaped(pair, '=')
		if k = unescapeContext(k); k != "" {
			custom[k] = unescapeContext(v)
		}
	}
	return map[string]any{"custom": custom}
}

func splitEscaped(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func cutEscaped(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func unescapeContext(s string) string {
	return strings.NewReplacer(`\|`, "|", `\=`, "=").Replace(s)
}

func (s *Service) destroy(w http.ResponseWriter, r *http.Request, t target, rtype string, p uploadsig.Params) error {
	publicID := p["public_id"]
	if publicID == "" {
		return missingParam("public_id")
	}
	typ := p["type"]
	if typ == "" {
		typ = assets.Upload
	}
	if !assets.ValidType(typ) {
		return badRequest("Invalid type %s: use upload, authenticated or private", truncate(typ, 32))
	}
	if rtype == "auto" {
		return badRequest("Invalid resource type auto for destroy: use image, video or raw")
	}
	unlock := s.locks.lock(t.where + "\x00" + typ + "\x00" + publicID)
	defer unlock()
	a, ok, err := t.store.Lookup(r.Context(), typ, publicID)
	if err != nil {
		return internal(err)
	}
	if !ok || a.ResourceType != rtype {
		server.WriteJSON(w, http.StatusOK, map[string]string{"result": "not found"})
		return nil
	}
	if err := t.store.Delete(r.Context(), a); err != nil {
		return internal(err)
	}
	server.WriteJSON(w, http.StatusOK, map[string]string{"result": "ok"})
	return nil
}
