package archive

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"io"
	"time"

	"github.com/signedgate/gateway/internal/engine"
)

type zipWriter struct{ zw *zip.Writer }

func (z zipWriter) Create(name string, size int64, mtime time.Time) (io.Writer, error) {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
	if precompressed[engine.FormatOf(name)] {
		h.Method = zip.Store
	}
	h.SetMode(fileMode)
	return z.zw.CreateHeader(h)
}

func (z zipWriter) Close() error { return z.zw.Close() }

// precompressed formats gain nothing from deflate; storing them saves the
// CPU of compressing megabytes of JPEG or video for nothing.
var precompressed = map[string]bool{
	"jpg": true, "png": true, "gif": true, "webp": true, "avif": true, "heic": true,
	"mp3": true, "mp4": true, "m4a": true, "mov": true, "webm": true, "mkv": true, "ogg": true,
	"zip": true, "gz": true, "tar.gz": true, "bz2": true, "xz": true, "7z": true, "rar": true,
	"docx": true, "xlsx": true, "pptx": true, "odt": true, "ods": true, "odp": true, "epub": true,
}

type tarWriter struct {
	tw *tar.Writer
	gz *gzip.Writer // nil for a plain tar
}

func (t tarWriter) Create(name string, size int64, mtime time.Time) (io.Writer, error) {
	// Owner and group stay empty and zero: the gateway's user means
	// nothing to whoever extracts the archive.
	err := t.tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     fileMode,
		ModTime:  mtime,
	})
	return t.tw, err
}

func (t tarWriter) Close() error {
	err := t.tw.Close()
	if t.gz != nil {
		err = errors.Join(err, t.gz.Close())
	}
	return err
}
