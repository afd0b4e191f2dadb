// Package archive owns the archive operation: packing a task's files into a
// zip, tar or tar.gz stream with names that are safe to extract anywhere
// (no absolute paths, no "..", no duplicates) and with uniform modes and
// times, so an archive never carries the gateway's file-system details.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

// Formats are the archive formats Write produces, as normalised names.
var Formats = []string{"zip", "tar", "tar.gz"}

// fileMode is every entry's mode: readable by all, writable by the owner,
// never executable or setuid whatever the source file had.
const fileMode = 0o644

// minTime is the earliest time a zip entry can carry (the MS-DOS epoch);
// earlier or zero times are raised to it in every format alike.
var minTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Write streams files into dst as a format archive ("zip", "tar", "tar.gz"
// or an alias such as "tgz"). Entry names come from each File's Name,
// cleaned and made unique ("a.png", "a (1).png"); contents are read from
// Path one file at a time, so memory use does not depend on file sizes.
// Write stops with ctx and does not close dst.
func Write(ctx context.Context, format string, files []engine.File, dst io.Writer) error {
	return write(ctx, format, files, dst, nil)
}

// write is Write with a callback after each file, for progress reporting.
func write(ctx context.Context, format string, files []engine.File, dst io.Writer, done func(n int)) error {
	var w entryWriter
	switch engine.NormalizeFormat(format) {
	case "zip":
		w = zipWriter{zip.NewWriter(dst)}
	case "tar":
		w = tarWriter{tw: tar.NewWriter(dst)}
	case "tar.gz":
		gz := gzip.NewWriter(dst)
		w = tarWriter{tw: tar.NewWriter(gz), gz: gz}
	default:
		return engine.Errorf(engine.CodeUnsupportedConversion,
			"cannot create %s archives; the formats are zip, tar and tar.gz", format)
	}
	names := newNamer()
	for i, f := range files {
		if err := engine.ContextError(ctx); err != nil {
			return err
		}
		if err := addFile(ctx, w, names.name(f.Name), f.Path); err != nil {
			return err
		}
		if done != nil {
			done(i + 1)
		}
	}
	if err := w.Close(); err != nil {
		return engine.Wrap(engine.CodeConversionFailed, err, "could not write the archive")
	}
	return nil
}

// entryWriter hides the differences between zip and tar.
type entryWriter interface {
	// Create starts an entry; the returned writer takes exactly size bytes.
	Create(name string, size int64, mtime time.Time) (io.Writer, error)
	Close() error
}

func addFile(ctx context.Context, w entryWriter, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return engine.Wrap(engine.CodeConversionFailed, err, fmt.Sprintf("could not read %s", name))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return engine.Wrap(engine.CodeConversionFailed, err, fmt.Sprintf("could not read %s", name))
	}
	if !st.Mode().IsRegular() {
		return engine.Errorf(engine.CodeInvalidInput, "%s is not a regular file", name)
	}
	ew, err := w.Create(name, st.Size(), sane(st.ModTime()))
	if err != nil {
		return engine.Wrap(engine.CodeConversionFailed, err, "could not write the archive")
	}
	// The size was fixed in the header; a file that changes while being
	// archived must fail rather than produce a corrupt entry.
	n, err := io.Copy(ew, bufio.NewReaderSize(ctxReader{ctx, io.LimitReader(f, st.Size())}, 64<<10))
	if err != nil {
		if cerr := engine.ContextError(ctx); cerr != nil {
			return cerr
		}
		return engine.Wrap(engine.CodeConversionFailed, err, fmt.Sprintf("could not archive %s", name))
	}
	if n != st.Size() {
		return engine.Errorf(engine.CodeConversionFailed, "%s changed while it was archived", name)
	}
	return nil
}

// sane returns t in UTC at whole seconds, no earlier than the zip epoch.
func sane(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Second)
	if t.Before(minTime) {
		return minTime
	}
	return t
}

// ctxReader stops a long copy when the task is cancelled or times out.
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
