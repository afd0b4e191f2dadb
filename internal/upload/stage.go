package upload

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/server"
)

// staged is an incoming file written to the staging directory, with what
// was learnt while it streamed by.
type staged struct {
	path     string
	size     int64
	md5      []byte
	head     []byte // the first bytes, for content sniffing
	filename string // as the client named it, may be empty
	mime     string // as the client or origin declared it, may be empty
}

func (st *staged) remove() {
	if st != nil && st.path != "" {
		os.Remove(st.path)
		st.path = ""
	}
}

const headBytes = 512

// sink writes a staged file, counting, hashing and keeping its head, and
// refuses to grow past max.
type sink struct {
	f    *os.File
	h    hash.Hash
	n    int64
	max  int64
	head []byte
}

var errTooLarge = errors.New("file too large")

func (s *sink) Write(p []byte) (int, error) {
	if s.n+int64(len(p)) > s.max {
		s.n += int64(len(p))
		return 0, errTooLarge
	}
	if len(s.head) < headBytes {
		s.head = append(s.head, p[:min(len(p), headBytes-len(s.head))]...)
	}
	s.h.Write(p)
	n, err := s.f.Write(p)
	s.n += int64(n)
	return n, err
}

// workRoot opens the work directory. Staged files and the parts of chunked
// uploads are written through it, so a symlink under it cannot send those
// writes elsewhere.
func (s *Service) workRoot() (*os.Root, error) {
	if err := os.MkdirAll(s.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("create work directory: %w", err)
	}
	return os.OpenRoot(s.WorkDir)
}

func (s *Service) newSink() (*sink, error) {
	r, err := s.workRoot()
	if err != nil {
		return nil, internal(err)
	}
	defer r.Close()
	if err := r.MkdirAll(stagingName, 0o700); err != nil {
		return nil, internal(fmt.Errorf("create staging directory: %w", err))
	}
	// A fresh name, created exclusively: never a file or link already there.
	f, err := r.OpenFile(filepath.Join(stagingName, "upload-"+rand.Text()), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, internal(fmt.Errorf("create staging file: %w", err))
	}
	return &sink{f: f, h: md5.New(), max: s.MaxBytes}, nil
}

// finish closes the sink; on failure the partial file is removed, so an
// interrupted upload leaves nothing behind.
func (k *sink) finish(err error, filename, mime string) (*staged, error) {
	cerr := k.f.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(k.f.Name())
		return nil, err
	}
	return &staged{path: k.f.Name(), size: k.n, md5: k.h.Sum(nil), head: k.head, filename: filename, mime: mime}, nil
}

// maxCounted bounds how much of an oversized body is read just to report
// its size; past that the size is reported as a lower bound.
const maxCounted = 1 << 30

// stage streams r into the staging directory.
func (s *Service) stage(r io.Reader, filename string) (*staged, error) {
	k, err := s.newSink()
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(k, r)
	if errors.Is(err, errTooLarge) {
		// Cloudinary reports the size it got; read on (bounded) to know it.
		n, _ := io.Copy(io.Discard, io.LimitReader(r, maxCounted))
		k.finish(err, "", "")
		return nil, tooLarge(k.n+n, s.MaxBytes)
	}
	if err != nil {
		k.finish(err, "", "")
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, badRequest("Upload interrupted: the body ended inside the file part")
		}
		return nil, badRequest("Upload interrupted: could not read the file part")
	}
	return k.finish(nil, filename, "")
}

func tooLarge(got, max int64) *server.Error {
	return badRequest("File size too large. Got %d. Maximum is %d.", got, max)
}

// source stages the file named by the "file" parameter: an http(s) URL
// fetched under the SSRF policy, or a data: URI.
func (s *Service) source(ctx context.Context, file string) (*staged, error) {
	switch {
	case strings.HasPrefix(file, "data:"):
		return s.stageDataURI(file)
	case hasScheme(file, "http://"), hasScheme(file, "https://"):
		return s.stageURL(ctx, file)
	default:
		return nil, badRequest("Invalid file parameter: send a file part, an http(s) URL or a data: URI")
	}
}

func hasScheme(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func (s *Service) stageDataURI(uri string) (*staged, error) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(uri, "data:"), ",")
	if !ok {
		return nil, badRequest("Invalid data URI: no comma before the data")
	}
	mime, isBase64 := strings.CutSuffix(meta, ";base64")
	var r io.Reader
	if isBase64 {
		// Tolerate the line breaks some encoders insert.
		clean := strings.NewReplacer("\n", "", "\r", "", " ", "").Replace(data)
		r = base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
	} else {
		un, err := url.PathUnescape(data)
		if err != nil {
			return nil, badRequest("Invalid data URI: bad percent-encoding")
		}
		r = strings.NewReader(un)
	}
	k, err := s.newSink()
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(k, r)
	if errors.Is(err, errTooLarge) {
		k.finish(err, "", "")
		return nil, tooLarge(k.n, s.MaxBytes)
	}
	if err != nil {
		k.finish(err, "", "")
		return nil, badRequest("Invalid data URI: the data is not valid base64")
	}
	if mime, _, _ = strings.Cut(mime, ";"); mime == "" {
		mime = "text/plain"
	}
	return k.finish(nil, "", mime)
}

func (s *Service) stageURL(ctx context.Context, raw string) (*staged, error) {
	if s.Fetch == nil {
		return nil, badRequest("Uploads by URL are not enabled")
	}
	k, err := s.newSink()
	if err != nil {
		return nil, err
	}
	meta, err := s.Fetch.Fetch(ctx, raw, nil, k)
	if errors.Is(err, errTooLarge) {
		k.finish(err, "", "")
		return nil, tooLarge(k.n, s.MaxBytes)
	}
	if err != nil {
		k.finish(err, "", "")
		var fe *fetch.Error
		if errors.As(err, &fe) {
			if fe.Code() == fetch.CodeTooLarge {
				return nil, badRequest("File size too large. Maximum is %d.", s.MaxBytes)
			}
			return nil, badRequest("Error in loading %s - %s", truncate(raw, 200), fe.Error())
		}
		return nil, badRequest("Error in loading %s", truncate(raw, 200))
	}
	name := meta.FileName
	if name == "" {
		if u, err := url.Parse(raw); err == nil {
			name = path.Base(u.Path)
		}
	}
	return k.finish(nil, name, meta.ContentType)
}
