package upload

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/upload/assets"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Chunked uploads into S3 buckets. The chunks become the parts of one S3
// multipart upload of the asset's file, so the file is assembled in S3:
// never in memory, and never whole on the gateway's disk (each chunk is
// staged like any upload, and no more). S3 wants every part but the last
// to be at least 5 MiB. Cloudinary's SDKs send chunks of 20 MB by default,
// but nothing obliges a client to: a smaller chunk waits in the bucket as
// a piece of its own until the pieces and the next chunk make a part.
//
// The upload's state is a small JSON object in the bucket's work area,
// .uploads/<id>/state.json, with the pieces beside it: what the first
// chunk decided (resource type, public id, format: the multipart upload is
// of the asset's file itself), the multipart upload's id and parts, the
// pieces, the MD5 of the bytes so far (the hash's own state) and how many
// bytes that is, which is where the next chunk must start. Any instance
// can take the next chunk. The state is only written over the version that
// was read (If-Match), so two requests racing with one upload cannot both
// advance it. The last chunk stores the asset under the rules of a
// one-part upload (overwrite, unsigned presets, conflicts) and removes the
// work area; when the asset is not to be written, the multipart upload is
// aborted. The janitor removes uploads idle for longer than ChunkTimeout.

// chunkState is an S3 chunked upload between two chunks.
type chunkState struct {
	Plan     plan           `json:"plan"`
	UploadID string         `json:"upload_id,omitempty"`
	Parts    []objects.Part `json:"parts,omitempty"`
	Pieces   []chunkPiece   `json:"pieces,omitempty"`
	MD5      []byte         `json:"md5,omitempty"`
	Received int64          `json:"received"`
}

// chunkPiece is a chunk too small to be a part yet.
type chunkPiece struct {
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
}

// pending is how many received bytes are not in a part yet.
func (c *chunkState) pending() int64 {
	var n int64
	for _, p := range c.Pieces {
		n += p.Size
	}
	return n
}

const chunkStateName = "state.json"

// chunkWork is the work area of the upload named id.
func chunkWork(id string) string { return assets.WorkPrefix + id + "/" }

func pieceKey(work string, offset int64) string {
	return work + strconv.FormatInt(offset, 10)
}

// fileOf is the asset of pl as far as its file is concerned.
func fileOf(pl plan) assets.Asset {
	return assets.Asset{PublicID: pl.PublicID, Type: pl.Type, ResourceType: pl.ResourceType, Format: pl.Format, MIME: pl.MIME}
}

func (s *Service) chunkS3(w http.ResponseWriter, r *http.Request, t target, store *assets.S3, rtype string,
	p uploadsig.Params, opts options, chunk *staged, cr contentRange, uploadID string) error {
	ctx := r.Context()
	obj := store.Objects()
	work := chunkWork(chunkID(t, uploadID))
	unlock := s.locks.lock(t.where + "\x00" + work)
	defer unlock()
	state, etag, err := loadChunkState(ctx, obj, work)
	if err != nil {
		return internal(err)
	}
	if state == nil {
		if err := checkOffset(cr, 0); err != nil {
			return err
		}
		// The first chunk decides: it holds the head of the file, which
		// says what the file is.
		pl, err := s.plan(rtype, opts, chunk, p["filename"])
		if err != nil {
			return err
		}
		state = &chunkState{Plan: pl}
	}
	if err := checkOffset(cr, state.Received); err != nil {
		return err
	}
	if cr.last+1 > s.MaxBytes || cr.total > s.MaxBytes {
		dropChunks(context.WithoutCancel(ctx), store, work, state)
		return tooLarge(max(cr.total, cr.last+1), s.MaxBytes)
	}
	h, err := resumeMD5(state.MD5)
	if err == nil {
		err = hashFile(h, chunk.path)
	}
	if err == nil {
		state.MD5, err = h.(encoding.BinaryMarshaler).MarshalBinary()
	}
	if err != nil {
		return internal(err)
	}
	if cr.isLast() {
		return s.finishChunksS3(w, r, t, store, work, state, chunk, cr.last+1, h.Sum(nil))
	}

	pending := state.pending() + chunk.size
	var flushed []chunkPiece
	var started *objects.Multipart
	if pending < objects.MinPartSize {
		info, err := putFile(ctx, obj, pieceKey(work, cr.first), chunk.path, chunk.size)
		if err != nil {
			return internal(fmt.Errorf("store chunk: %w", err))
		}
		state.Pieces = append(state.Pieces, chunkPiece{Offset: cr.first, Size: chunk.size, ETag: info.ETag})
	} else {
		var mp *objects.Multipart
		if state.UploadID == "" {
			if mp, err = store.BeginParts(ctx, fileOf(state.Plan)); err != nil {
				return internal(err)
			}
			started = mp
		} else {
			mp = store.ResumeParts(fileOf(state.Plan), state.UploadID, state.Parts)
		}
		if err := sendPart(ctx, obj, mp, work, state, chunk.path, pending); err != nil {
			if started != nil {
				started.Abort(context.WithoutCancel(ctx))
			}
			return internal(fmt.Errorf("store chunk: %w", err))
		}
		flushed = state.Pieces
		state.UploadID, state.Parts, state.Pieces = mp.ID(), mp.Parts(), nil
	}
	state.Received = cr.last + 1
	if err := saveChunkState(ctx, obj, work, state, etag); err != nil {
		if started != nil {
			started.Abort(context.WithoutCancel(ctx))
		}
		if errors.Is(err, objects.ErrPreconditionFailed) {
			return badRequest("Chunk bytes %d-%d arrived while another request of the same upload was being stored; send it again", cr.first, cr.last)
		}
		return internal(err)
	}
	for _, pc := range flushed {
		obj.Delete(ctx, pieceKey(work, pc.Offset))
	}
	server.WriteJSON(w, http.StatusOK, map[string]any{"done": false, "bytes": cr.last + 1, "upload_id": uploadID})
	return nil
}

// finishChunksS3 stores the asset with the last chunk: one Put of the
// pieces and the chunk when no part was sent yet, else the last part and
// the completion of the multipart upload. The work area goes either way.
func (s *Service) finishChunksS3(w http.ResponseWriter, r *http.Request, t target, store *assets.S3, work string,
	state *chunkState, chunk *staged, total int64, sum []byte) error {
	ctx := r.Context()
	obj := store.Objects()
	pending := state.pending() + chunk.size
	res, err := s.commit(ctx, t, state.Plan, total, sum, func(a assets.Asset, old *assets.Asset) error {
		if state.UploadID == "" {
			body, done, err := partBody(ctx, obj, work, state.Pieces, chunk.path)
			if err != nil {
				return err
			}
			defer done()
			return store.StoreFrom(ctx, body, pending, a, old)
		}
		mp := store.ResumeParts(a, state.UploadID, state.Parts)
		if err := sendPart(ctx, obj, mp, work, state, chunk.path, pending); err != nil {
			return err
		}
		return store.StoreParts(ctx, mp, a, old)
	})
	dropChunks(context.WithoutCancel(ctx), store, work, state)
	if err != nil {
		return err
	}
	server.WriteJSON(w, http.StatusOK, res)
	return nil
}

// sendPart sends the pending pieces and the chunk at path, size bytes in
// all, as the next part of mp.
func sendPart(ctx context.Context, obj *objects.S3, mp *objects.Multipart, work string, state *chunkState, path string, size int64) error {
	body, done, err := partBody(ctx, obj, work, state.Pieces, path)
	if err != nil {
		return err
	}
	defer done()
	return mp.Part(ctx, int32(len(state.Parts)+1), body, size)
}

// partBody reads the pieces from S3, one after the other as the body is
// read, and then the chunk at path.
func partBody(ctx context.Context, obj *objects.S3, work string, pieces []chunkPiece, path string) (io.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if len(pieces) == 0 {
		return f, func() { f.Close() }, nil
	}
	readers := make([]io.Reader, 0, len(pieces)+1)
	var opened []*pieceReader
	for _, pc := range pieces {
		pr := &pieceReader{ctx: ctx, obj: obj, key: pieceKey(work, pc.Offset), piece: pc}
		opened = append(opened, pr)
		readers = append(readers, pr)
	}
	readers = append(readers, f)
	return io.MultiReader(readers...), func() {
		for _, pr := range opened {
			pr.close()
		}
		f.Close()
	}, nil
}

// pieceReader reads one piece, opened at its first read, insisting on the
// version the state names.
type pieceReader struct {
	ctx   context.Context
	obj   *objects.S3
	key   string
	piece chunkPiece
	r     io.ReadCloser
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if p.r == nil {
		rd, err := p.obj.Get(p.ctx, p.key, objects.ReadOptions{IfMatch: p.piece.ETag})
		if err != nil {
			return 0, fmt.Errorf("read the chunk at %d: %w", p.piece.Offset, err)
		}
		if rd.Info.Size != p.piece.Size {
			rd.Close()
			return 0, fmt.Errorf("the chunk at %d has %d bytes, not %d", p.piece.Offset, rd.Info.Size, p.piece.Size)
		}
		p.r = rd
	}
	return p.r.Read(b)
}

func (p *pieceReader) close() {
	if p.r != nil {
		p.r.Close()
	}
}

// putFile writes the local file at path, of size bytes, to key.
func putFile(ctx context.Context, obj *objects.S3, key, path string, size int64) (objects.Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return objects.Info{}, err
	}
	defer f.Close()
	return obj.Put(ctx, key, f, size, objects.WriteOptions{})
}

// loadChunkState reads an upload's state and its ETag; nil when the upload
// has not begun.
func loadChunkState(ctx context.Context, obj *objects.S3, work string) (*chunkState, string, error) {
	rd, err := obj.Get(ctx, work+chunkStateName, objects.ReadOptions{})
	if errors.Is(err, objects.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("read chunked upload state: %w", err)
	}
	defer rd.Close()
	var st chunkState
	if err := json.NewDecoder(io.LimitReader(rd, 1<<20)).Decode(&st); err != nil {
		return nil, "", fmt.Errorf("decode chunked upload state: %w", err)
	}
	return &st, rd.Info.ETag, nil
}

// saveChunkState writes the state over the version read (etag), or where
// none is when etag is empty.
func saveChunkState(ctx context.Context, obj *objects.S3, work string, st *chunkState, etag string) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	cond := objects.Conditions{IfMatch: etag}
	if etag == "" {
		cond = objects.Conditions{IfNoneMatch: "*"}
	}
	_, err = obj.Put(ctx, work+chunkStateName, bytes.NewReader(data), int64(len(data)),
		objects.WriteOptions{ContentType: "application/json", Conditions: cond})
	if err != nil {
		return fmt.Errorf("write chunked upload state: %w", err)
	}
	return nil
}

// dropChunks aborts an upload's multipart upload and empties its work area.
func dropChunks(ctx context.Context, store *assets.S3, work string, state *chunkState) {
	if state != nil && state.UploadID != "" {
		store.ResumeParts(fileOf(state.Plan), state.UploadID, nil).Abort(ctx)
	}
	obj := store.Objects()
	for info, err := range obj.List(ctx, work) {
		if err != nil {
			return
		}
		obj.Delete(ctx, info.Key)
	}
}

func resumeMD5(state []byte) (hash.Hash, error) {
	h := md5.New()
	if len(state) > 0 {
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			return nil, fmt.Errorf("resume the MD5 of a chunked upload: %w", err)
		}
	}
	return h, nil
}

func hashFile(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// SweepS3Chunks removes the chunked uploads into S3 buckets that have
// received nothing for longer than ChunkTimeout at now: their multipart
// upload is aborted and their work area emptied. The buckets swept are
// those of the API keys and upload presets. It returns how many uploads
// it removed.
func (s *Service) SweepS3Chunks(ctx context.Context, now time.Time) int {
	names := map[string]bool{}
	if s.Keys != nil {
		keys, _ := s.Keys.List(ctx)
		for _, k := range keys {
			names[k.Bucket] = true
		}
	}
	if s.Presets != nil {
		presets, _ := s.Presets.List(ctx)
		for _, p := range presets {
			names[p.Bucket] = true
		}
	}
	removed := 0
	seen := map[*assets.S3]bool{}
	for name := range names {
		b, ok, err := s.Buckets.Lookup(ctx, name)
		if err != nil || !ok || b.OriginKind() != "s3" {
			continue
		}
		st, err := s.stores().For(ctx, b)
		store, isS3 := st.(*assets.S3)
		if err != nil || !isS3 || seen[store] {
			continue
		}
		seen[store] = true
		removed += s.sweepS3(ctx, store, b.Origin, now)
	}
	return removed
}

func (s *Service) sweepS3(ctx context.Context, store *assets.S3, where string, now time.Time) int {
	// The newest object of each upload's work area says when it last
	// received a chunk.
	last := map[string]time.Time{}
	for info, err := range store.Objects().List(ctx, assets.WorkPrefix) {
		if err != nil {
			return 0
		}
		id, _, ok := strings.Cut(strings.TrimPrefix(info.Key, assets.WorkPrefix), "/")
		if !ok {
			continue
		}
		if info.ModTime.After(last[id]) {
			last[id] = info.ModTime
		}
	}
	removed := 0
	for id, t := range last {
		if now.Sub(t) <= s.ChunkTimeout {
			continue
		}
		work := chunkWork(id)
		unlock := s.locks.lock(where + "\x00" + work)
		// A state that cannot be read leaves its multipart upload to the
		// bucket's lifecycle rules; the work area goes all the same.
		state, _, _ := loadChunkState(ctx, store.Objects(), work)
		dropChunks(ctx, store, work, state)
		removed++
		unlock()
	}
	return removed
}
