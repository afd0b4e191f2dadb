package upload

import (
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
	res, err := s.store(t, rtype, opts, st, p["filename"])
	if err != nil {
		return err
	}
	server.WriteJSON(w, http.StatusOK, res)
	return nil
}

// store turns a staged file into an asset and returns its result.
func (s *Service) store(t target, rtype string, opts options, st *staged, filenameParam string) (*Result, error) {
	c := detect(st)
	switch {
	case rtype == "auto":
		rtype = c.kind
	case rtype == "image" && c.kind != "image":
		return nil, badRequest("Invalid image file")
	case rtype == "video" && c.kind != "video":
		return nil, badRequest("Unsupported video format or file")
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
		return nil, badRequest("Invalid public_id: %v", err)
	}
	dir := assets.Dir(t.dir)

	unlock := s.locks.lock(t.dir + "\x00" + opts.typ + "\x00" + publicID)
	defer unlock()
	old, exists, err := dir.Lookup(opts.typ, publicID)
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
	if exists && old.ResourceType != rtype {
		return nil, badRequest("Public ID %s already exists as a %s asset", publicID, old.ResourceType)
	}
	if exists && !opts.overwrite {
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
		Type:             opts.typ,
		ResourceType:     rtype,
		Format:           format,
		Bytes:            st.size,
		Width:            c.width,
		Height:           c.height,
		ETag:             hex.EncodeToString(st.md5),
		MIME:             c.mime,
		CreatedAt:        now.Truncate(1e9),
		Tags:             opts.tags,
		Context:          opts.context,
		OriginalFilename: original,
	}
	if exists {
		a.AssetID = old.AssetID // the asset is the same; its version is new
	}
	var prev *assets.Asset
	if exists {
		prev = &old
	}
	if err := dir.Store(st.path, a, prev); err != nil {
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
	st.path = "" // moved into place
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
