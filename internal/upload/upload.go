package upload

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// ValidatePublicID explains what is wrong with a public id or folder.
func ValidatePublicID(id string) error { return assets.ValidatePublicID(id) }

// options are the upload parameters the gateway acts on, read from the same
// verified Params the signature covered.
type options struct {
	publicID       string
	folder         string
	typ            string
	overwrite      bool
	useFilename    bool
	uniqueFilename bool
	tags           []string
	context        string
}

func boolParam(p uploadsig.Params, name string, def bool) bool {
	switch strings.ToLower(p[name]) {
	case "":
		return def
	case "true", "1", "yes":
		return true
	default:
		return false
	}
}

func readOptions(p uploadsig.Params, t target) (options, error) {
	o := options{
		publicID:       p["public_id"],
		folder:         strings.Trim(p["folder"], "/"),
		typ:            p["type"],
		overwrite:      boolParam(p, "overwrite", true),
		useFilename:    boolParam(p, "use_filename", false),
		uniqueFilename: boolParam(p, "unique_filename", true),
		context:        p["context"],
	}
	if o.typ == "" {
		o.typ = assets.Upload
	}
	if !assets.ValidType(o.typ) {
		return o, badRequest("Invalid type %s: use upload, authenticated or private", truncate(o.typ, 32))
	}
	if t.preset != nil {
		// Unsigned uploads always have type upload: anyone may send them,
		// so they must not reach the namespaces of authenticated and
		// private assets (where an existing asset's record would be read).
		// Refused rather than changed, so a caller asking for privacy is
		// not handed a public asset.
		if o.typ != assets.Upload {
			return o, badRequest("Type %s is not allowed when using unsigned upload: unsigned uploads always have type upload", o.typ)
		}
		// Nor may they replace what is there (store refuses an existing
		// public id), nor choose where outside the preset's folder they
		// land (Cloudinary's rules).
		o.overwrite = false
		if t.preset.Folder != "" {
			o.folder = strings.Trim(t.preset.Folder+"/"+o.folder, "/")
		}
	}
	for tag := range strings.SplitSeq(p["tags"], ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			o.tags = append(o.tags, tag)
		}
	}
	if o.folder != "" {
		if err := assets.ValidatePublicID(o.folder); err != nil {
			return o, badRequest("Invalid folder: %v", err)
		}
	}
	if o.publicID != "" {
		if err := assets.ValidatePublicID(o.publicID); err != nil {
			return o, badRequest("Invalid public_id: %v", err)
		}
	}
	return o, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// publicIDFor picks the public id: the given one, else the original file
// name (with use_filename) plus a random suffix (unless unique_filename is
// false), else 20 random characters. Raw assets keep their extension in
// the public id, as on Cloudinary.
func (o options) publicIDFor(original, kind, format string) string {
	id := o.publicID
	if id == "" {
		base := ""
		if o.useFilename {
			base = strings.Trim(unsafeName.ReplaceAllString(original, "_"), "_")
		}
		switch {
		case base == "":
			id = randomString(lowerAlnum, 20)
		case o.uniqueFilename:
			id = base + "_" + randomString(lowerAlnum, 6)
		default:
			id = base
		}
		if kind == "raw" && format != "" {
			id += "." + format
		}
	}
	if o.folder != "" {
		id = o.folder + "/" + id
	}
	if len(id) > assets.MaxPublicIDLength {
		id = id[:assets.MaxPublicIDLength]
	}
	return id
}

// originalName is the client's file name without directories and extension.
func originalName(filename string) string {
	base := path.Base(strings.ReplaceAll(filename, `\`, "/"))
	if base == "." || base == "/" {
		return ""
	}
	return strings.TrimSuffix(base, path.Ext(base))
}

func (s *Service) upload(w http.ResponseWriter, r *http.Request, t target, rtype string, p uploadsig.Params, b *body) error {
	st := b.file
	if st == nil {
		file := p["file"]
		if file == "" {
			return missingParam("file")
		}
		var err error
		if st, err = s.source(r.Context(), file); err != nil {
			return err
		}
		b.file = st // removed by the caller's discard
	}
	opts, err := readOptions(p, t)
	if err != nil {
		return err
	}
	res, err := s.store(r.Context(), t, rtype, opts, st, p["filename"])
	if err != nil {
		return err
	}
	server.WriteJSON(w, http.StatusOK, res)
	return nil
}

// plan is what an upload will store, decided from its options and content
// before anything is written. A chunked upload into S3 decides it with its
// first chunk and keeps it (as JSON) until the last.
type plan struct {
	ResourceType string   `json:"resource_type"`
	PublicID     string   `json:"public_id"`
	Type         string   `json:"type"`
	Format       string   `json:"format"`
	MIME         string   `json:"mime"`
	Width        int      `json:"width,omitempty"`
	Height       int      `json:"height,omitempty"`
	Original     string   `json:"original_filename"`
	Overwrite    bool     `json:"overwrite"`
	Tags         []string `json:"tags"`
	Context      string   `json:"context,omitempty"`
}

// plan decides the resource type, format and public id of a staged file.
func (s *Service) plan(rtype string, opts options, st *staged, filenameParam string) (plan, error) {
	c := detect(st)
	switch {
	case rtype == "auto":
		rtype = c.kind
	case rtype == "image" && c.kind != "image":
		return plan{}, badRequest("Invalid image file")
	case rtype == "video" && c.kind != "video":
		return plan{}, badRequest("Unsupported video format or file")
	}
	format := c.format
	if rtype == "raw" {
		format = "" // a raw asset's extension is part of its public id
	}
	original := originalName(st.filename)
	if original == "" && filenameParam != "" {
		original = originalName(filenameParam)
	}
	publicID := opts.publicIDFor(original, rtype, c.format)
	if err := assets.ValidatePublicID(publicID); err != nil {
		return plan{}, badRequest("Invalid public_id: %v", err)
	}
	return plan{ResourceType: rtype, PublicID: publicID, Type: opts.typ, Format: format, MIME: c.mime,
		Width: c.width, Height: c.height, Original: original, Overwrite: opts.overwrite,
		Tags: opts.tags, Context: opts.context}, nil
}

// store turns a staged file into an asset and returns its result.
func (s *Service) store(ctx context.Context, t target, rtype string, opts options, st *staged, filenameParam string) (*Result, error) {
	pl, err := s.plan(rtype, opts, st, filenameParam)
	if err != nil {
		return nil, err
	}
	return s.commit(ctx, t, pl, st.size, st.md5, func(a assets.Asset, old *assets.Asset) error {
		if err := t.store.Store(ctx, st.path, a, old); err != nil {
			return err
		}
		st.path = "" // moved into place
		return nil
	})
}

// commit makes pl an asset of size bytes with MD5 sum, under the asset's
// lock: an existing asset is refused, returned or replaced as the request
// says, and write stores the file and record of a (old is the asset it
// replaces). commit answers without calling write when nothing is to be
// stored.
func (s *Service) commit(ctx context.Context, t target, pl plan, size int64, sum []byte, write func(a assets.Asset, old *assets.Asset) error) (*Result, error) {
	publicID := pl.PublicID
	unlock := s.locks.lock(t.where + "\x00" + pl.Type + "\x00" + publicID)
	defer unlock()
	old, exists, err := t.store.Lookup(ctx, pl.Type, publicID)
	if err != nil {
		return nil, internal(err)
	}
	if exists && t.preset != nil {
		// An unsigned request proves nothing about who it comes from:
		// answering with the existing asset (as overwrite=false does for
		// signed requests) would hand anyone its tags and context, and
		// replacing it would let anyone change it. Refuse, saying no more
		// than that the id is taken.
		return nil, badRequest("Public ID %s already exists: an unsigned upload cannot replace or return an existing asset", publicID)
	}
	if exists && old.ResourceType != pl.ResourceType {
		return nil, badRequest("Public ID %s already exists as a %s asset", publicID, old.ResourceType)
	}
	if exists && !pl.Overwrite {
		res := s.result(t, old)
		res.Existing = true
		return res, nil
	}
	now := s.Now().UTC()
	a := assets.Asset{
		AssetID:          randomString("0123456789abcdef", 32),
		PublicID:         publicID,
		Version:          now.Unix(),
		VersionID:        randomString("0123456789abcdef", 32),
		Type:             pl.Type,
		ResourceType:     pl.ResourceType,
		Format:           pl.Format,
		Bytes:            size,
		Width:            pl.Width,
		Height:           pl.Height,
		ETag:             hex.EncodeToString(sum),
		MIME:             pl.MIME,
		CreatedAt:        now.Truncate(1e9),
		Tags:             pl.Tags,
		Context:          pl.Context,
		OriginalFilename: pl.Original,
	}
	if exists {
		a.AssetID = old.AssetID // the asset is the same; its version is new
	}
	var prev *assets.Asset
	if exists {
		prev = &old
	}
	if err := write(a, prev); err != nil {
		var e *server.Error
		switch {
		case errors.Is(err, assets.ErrConflict):
			e = badRequest("Public ID %s conflicts with an existing folder or asset of that name", publicID)
		case errors.Is(err, assets.ErrOutside):
			// A symlink in the bucket points out of it: nothing was written.
			e = badRequest("Public ID %s cannot be stored: its path leads outside the bucket", publicID)
		default:
			return nil, internal(err)
		}
		e.Cause = err
		return nil, e
	}
	res := s.result(t, a)
	res.Overwritten = exists
	return res, nil
}

// pathLocks serialises writers of one asset within this process, so a
// record never describes another writer's file.
type pathLocks struct {
	mu    sync.Mutex
	locks map[string]*lockEntry
}

type lockEntry struct {
	mu   sync.Mutex
	refs int
}

func (l *pathLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*lockEntry{}
	}
	e := l.locks[key]
	if e == nil {
		e = &lockEntry{}
		l.locks[key] = e
	}
	e.refs++
	l.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		l.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
}

// escapePublicID escapes each segment of id for a URL path.
func escapePublicID(id string) string {
	segs := strings.Split(id, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
