package upload

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Chunked uploads: each chunk is a complete signed upload request carrying
// Content-Range: bytes a-b/total (total is -1 until the last chunk, as the
// Node SDK sends it) and X-Unique-Upload-Id. For a bucket in a directory,
// chunks are appended in order to one file under WorkDir/chunks/<id>/; the
// size of that file is the offset the next chunk must start at, so there
// is no other state to keep. The last chunk moves the assembled file into
// place like a one-part upload. For a bucket in S3, see chunk_s3.go: the
// chunks become the parts of an S3 multipart upload, and the upload's state
// lives in the bucket, so any instance can take the next chunk.

var uploadIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// contentRange is a parsed "bytes a-b/total"; total is -1 when unknown.
type contentRange struct{ first, last, total int64 }

func parseContentRange(s string) (contentRange, error) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !ok {
		return contentRange{}, badRequest("Invalid Content-Range %q: want bytes <first>-<last>/<total>", truncate(s, 64))
	}
	rng, total, ok1 := strings.Cut(spec, "/")
	first, last, ok2 := strings.Cut(rng, "-")
	cr := contentRange{total: -1}
	var err1, err2, err3 error
	cr.first, err1 = strconv.ParseInt(first, 10, 64)
	cr.last, err2 = strconv.ParseInt(last, 10, 64)
	if total != "*" && total != "-1" {
		cr.total, err3 = strconv.ParseInt(total, 10, 64)
	}
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil ||
		cr.first < 0 || cr.last < cr.first || (cr.total != -1 && cr.total <= cr.last) {
		return contentRange{}, badRequest("Invalid Content-Range %q: want bytes <first>-<last>/<total>", truncate(s, 64))
	}
	return cr, nil
}

// isLast reports whether this chunk completes the file.
func (cr contentRange) isLast() bool { return cr.total == cr.last+1 }

// chunkID names an upload: its id scoped to the credential, so one key
// cannot append to another's upload.
func chunkID(t target, uploadID string) string {
	owner := t.key.APIKey
	if t.preset != nil {
		owner = "preset:" + t.preset.Name
	}
	sum := sha256.Sum256([]byte(t.cloud + "\x00" + owner + "\x00" + uploadID))
	return hex.EncodeToString(sum[:16])
}

// chunkName is the directory of an upload's parts, relative to WorkDir.
func chunkName(t target, uploadID string) string {
	return filepath.Join(chunksName, chunkID(t, uploadID))
}

// checkOffset refuses a chunk that does not start where the upload, holding
// have bytes, ends.
func checkOffset(cr contentRange, have int64) error {
	switch {
	case cr.first > have:
		return badRequest("Chunk bytes %d-%d leaves a gap: the upload holds %d bytes, so the next chunk must start at %d",
			cr.first, cr.last, have, have)
	case cr.first < have:
		return badRequest("Chunk bytes %d-%d overlaps bytes already received (0-%d); send the next chunk from %d",
			cr.first, cr.last, have-1, have)
	}
	return nil
}

func (s *Service) chunk(w http.ResponseWriter, r *http.Request, t target, rtype string, p uploadsig.Params, b *body, header string) error {
	cr, err := parseContentRange(header)
	if err != nil {
		return err
	}
	uploadID := r.Header.Get("X-Unique-Upload-Id")
	if !uploadIDPattern.MatchString(uploadID) {
		return badRequest("Chunked uploads need an X-Unique-Upload-Id header of 1 to 128 letters, digits, '-' and '_'")
	}
	opts, err := readOptions(p, t)
	if err != nil {
		return err
	}
	st := b.file
	if st == nil {
		if p["file"] == "" {
			return missingParam("file")
		}
		if st, err = s.source(r.Context(), p["file"]); err != nil {
			return err
		}
		b.file = st
	}
	if st.size != cr.last-cr.first+1 {
		return badRequest("Chunk of %d bytes does not match Content-Range %s", st.size, header)
	}
	if s3, ok := t.store.(*assets.S3); ok {
		return s.chunkS3(w, r, t, s3, rtype, p, opts, st, cr, uploadID)
	}
	dir := chunkName(t, uploadID)
	// The janitor locks the same key: filepath.Join(chunkDir, name).
	unlock := s.locks.lock(filepath.Join(s.WorkDir, dir))
	defer unlock()
	root, err := s.workRoot()
	if err != nil {
		return internal(err)
	}
	defer root.Close()
	if cr.last+1 > s.MaxBytes || cr.total > s.MaxBytes {
		root.RemoveAll(dir)
		return tooLarge(max(cr.total, cr.last+1), s.MaxBytes)
	}
	if err := root.MkdirAll(dir, 0o700); err != nil {
		return internal(fmt.Errorf("create chunk directory: %w", err))
	}
	data := filepath.Join(dir, "data")
	if err := appendChunk(root, data, st.path, cr); err != nil {
		return err
	}
	now := s.Now()
	root.Chtimes(dir, now, now) // the janitor measures idleness from here

	if !cr.isLast() {
		server.WriteJSON(w, http.StatusOK, map[string]any{"done": false, "bytes": cr.last + 1, "upload_id": uploadID})
		return nil
	}
	whole, err := stagedFromFile(root, data, st.filename, st.mime)
	if err != nil {
		return internal(err)
	}
	res, err := s.store(r.Context(), t, rtype, opts, whole, p["filename"])
	root.RemoveAll(dir)
	if err != nil {
		return err
	}
	server.WriteJSON(w, http.StatusOK, res)
	return nil
}

// appendChunk adds the chunk at src to data, which must hold exactly
// cr.first bytes: anything else is a gap or an overlap, refused without
// touching what was received.
func appendChunk(root *os.Root, data, src string, cr contentRange) error {
	f, err := root.OpenFile(data, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return internal(fmt.Errorf("open chunk file: %w", err))
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return internal(err)
	}
	if err := checkOffset(cr, have); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return internal(err)
	}
	defer in.Close()
	if _, err := io.Copy(f, in); err != nil {
		f.Truncate(have) // leave the upload as it was before this chunk
		return internal(fmt.Errorf("append chunk: %w", err))
	}
	return nil
}

// stagedFromFile describes an assembled file (name, under root) as a
// staged one.
func stagedFromFile(root *os.Root, name, filename, mime string) (*staged, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := md5.New()
	head := make([]byte, headBytes)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	size, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	return &staged{path: f.Name(), size: size, md5: h.Sum(nil), head: head, filename: filename, mime: mime}, nil
}

// SweepChunks removes chunked uploads idle for longer than ChunkTimeout at
// now, and staged files left by a crash. It returns how many it removed.
func (s *Service) SweepChunks(now time.Time) int {
	removed := 0
	for _, dir := range []string{s.chunkDir(), s.stageDir()} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil || now.Sub(info.ModTime()) <= s.ChunkTimeout {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if dir == s.chunkDir() {
				unlock := s.locks.lock(p)
				err = os.RemoveAll(p)
				unlock()
			} else {
				err = os.Remove(p)
			}
			if err == nil || errors.Is(err, os.ErrNotExist) {
				removed++
			}
		}
	}
	return removed
}

// RunJanitor sweeps every interval until ctx ends: the chunked uploads in
// the work directory and those in S3 buckets.
func (s *Service) RunJanitor(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.SweepChunks(s.Now())
			s.SweepS3Chunks(ctx, s.Now())
		}
	}
}
