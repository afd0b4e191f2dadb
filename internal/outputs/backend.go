// Package outputs owns the files jobs produce: where they are kept (a
// Backend: a directory, or S3-compatible storage that every instance
// reads), the signed, expiring URLs they are served at, serving them
// safely (Content-Type, Content-Disposition, Range, sandboxing), the keyring
// of signing secrets the instances share, and the janitor that removes
// expired outputs.
package outputs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Meta describes one stored output.
type Meta struct {
	// Name is the user-facing file name (Content-Disposition, URL).
	Name string `json:"name"`
	// Inline asks browsers to show the file rather than download it.
	Inline      bool      `json:"inline,omitempty"`
	ContentType string    `json:"content_type,omitempty"`
	Size        int64     `json:"size"`
	Expires     time.Time `json:"expires"`
}

// Object is an opened output.
type Object struct {
	io.ReadSeekCloser
	Meta    Meta
	ModTime time.Time
}

// ErrNotFound is returned by Backend.Open for an unknown or removed id.
var ErrNotFound = errors.New("output not found")

// Backend keeps output bytes and their Meta under an opaque id: Dir in a
// directory, S3Backend in S3-compatible storage.
type Backend interface {
	// Put stores src; meta.Size is its length, or -1 when unknown.
	Put(ctx context.Context, id string, meta Meta, src io.Reader) error
	// Open opens output id, which expires at expires (its URL says when).
	Open(ctx context.Context, id string, expires time.Time) (*Object, error)
	// Sweep removes every output whose Meta.Expires is not after now and
	// returns how many it removed.
	Sweep(ctx context.Context, now time.Time) (int, error)
}

// Dir stores each output as <root>/<id>/{data,meta.json}. Writes go to a
// temporary directory renamed into place, so another instance sharing the
// directory never sees half an output.
type Dir struct{ Root string }

var _ Backend = Dir{}

const (
	dataFile = "data"
	metaFile = "meta.json"
)

// validID keeps ids to the alphabet Store generates, so an id from a URL can
// never name a path outside Root.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func (d Dir) Put(ctx context.Context, id string, meta Meta, src io.Reader) (err error) {
	if !validID(id) {
		return fmt.Errorf("invalid output id %q", id)
	}
	if err := os.MkdirAll(d.Root, 0o700); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(d.Root, ".tmp-"+id+"-")
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	f, err := os.OpenFile(filepath.Join(tmp, dataFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	n, err := io.Copy(f, ctxReader{ctx, src})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	meta.Size = n
	mb, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, metaFile), mb, 0o600); err != nil {
		return fmt.Errorf("write output meta: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(d.Root, id)); err != nil {
		return fmt.Errorf("store output: %w", err)
	}
	return nil
}

func (d Dir) Open(ctx context.Context, id string, _ time.Time) (*Object, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	dir := filepath.Join(d.Root, id)
	meta, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, dataFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Object{ReadSeekCloser: f, Meta: meta, ModTime: st.ModTime()}, nil
}

func readMeta(dir string) (Meta, error) {
	var m Meta
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read output meta: %w", err)
	}
	return m, nil
}

// staleTemp is how old a temporary directory must be before Sweep treats it
// as left behind by a crash rather than a write in progress.
const staleTemp = time.Hour

func (d Dir) Sweep(ctx context.Context, now time.Time) (int, error) {
	entries, err := os.ReadDir(d.Root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		if ctx.Err() != nil {
			return removed, ctx.Err()
		}
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(d.Root, e.Name())
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > staleTemp {
				errs = append(errs, os.RemoveAll(dir))
			}
			continue
		}
		if !validID(e.Name()) {
			continue
		}
		meta, err := readMeta(dir)
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		// An output without meta is either being removed by another
		// instance or broken; in both cases nobody can be served it.
		if err == nil && meta.Expires.After(now) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
