package s3api

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/verify/sigv4"
)

// putObject answers PutObject: the body streams to the bucket's storage,
// decoded (aws-chunked) and checked (payload hash, Content-MD5, flexible
// checksums, length) on its way. A check that fails fails the last read,
// so the storage keeps nothing of it: a directory's temporary file is
// removed, an S3 upload never completes.
func (h *Handler) putObject(w http.ResponseWriter, r *http.Request, b bucket.Bucket, req request, c *caller) error {
	if !validKey(req.key) {
		return invalidKey()
	}
	store, err := h.Stores.For(r.Context(), b)
	if err != nil {
		return storeError(err)
	}
	body, size, err := h.decodeBody(r, c)
	if err != nil {
		return err
	}
	sums, err := expectedChecksums(r, req.query)
	if err != nil {
		return err
	}
	checked := &checkedBody{src: body, size: size, max: h.MaxObjectBytes, sums: sums}
	if cr, ok := body.(*sigv4.ChunkedReader); ok {
		checked.trailer = cr.Trailer
	}
	opts := objects.WriteOptions{
		ContentType:  r.Header.Get("Content-Type"),
		CacheControl: r.Header.Get("Cache-Control"),
		Metadata:     metadata(r.Header),
		Conditions:   objects.Conditions{IfNoneMatch: r.Header.Get("If-None-Match"), IfMatch: r.Header.Get("If-Match")},
	}
	if opts.IfNoneMatch != "" && opts.IfNoneMatch != "*" {
		return s3Error(http.StatusNotImplemented, CodeNotImplemented, "If-None-Match on PutObject takes only *")
	}
	info, err := store.Put(r.Context(), req.key, checked, size, opts)
	if err != nil {
		if checked.err != nil {
			return checked.err // the body's own fault, whatever the storage made of it
		}
		return storeError(err)
	}
	hd := w.Header()
	hd.Set("ETag", info.ETag)
	for _, s := range checked.sums {
		if s.alg.header != "" {
			hd.Set(s.alg.header, s.got)
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// decodeBody returns r's body as the object's bytes, and their length
// (-1 when not told).
func (h *Handler) decodeBody(r *http.Request, c *caller) (io.Reader, int64, error) {
	size := r.ContentLength
	// What the client signed as the payload's hash: UNSIGNED-PAYLOAD, a
	// hex SHA-256 (in the header, or in a presigned URL's query), or a
	// streaming form (header authentication only).
	mode := c.auth.PayloadHash
	switch mode {
	case sigv4.UnsignedPayload:
		return r.Body, size, nil
	case sigv4.StreamingSigned, sigv4.StreamingSignedTrailer, sigv4.StreamingUnsignedTrailer:
		decoded := int64(-1)
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, 0, s3Error(http.StatusBadRequest, CodeInvalidArgument, "x-amz-decoded-content-length is not a length")
			}
			decoded = n
		} else if mode == sigv4.StreamingSigned {
			return nil, 0, s3Error(http.StatusLengthRequired, CodeMissingLength, "You must provide the Content-Length HTTP header (x-amz-decoded-content-length for aws-chunked bodies).")
		}
		return sigv4.NewChunkedReader(r.Body, c.auth, c.key.Secret, h.Region, mode, decoded), decoded, nil
	}
	return sigv4.NewPayloadReader(r.Body, mode), size, nil
}

// metadata is the request's user metadata (x-amz-meta-*), names in lower
// case without the prefix.
func metadata(h http.Header) map[string]string {
	var m map[string]string
	for name, vs := range h {
		l := strings.ToLower(name)
		if rest, ok := strings.CutPrefix(l, "x-amz-meta-"); ok && rest != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[rest] = strings.Join(vs, ",")
		}
	}
	return m
}

// checkedBody is a PutObject's body on its way to storage: it bounds and
// counts it, and at its end checks its length and checksums, failing the
// last read when one does not hold.
type checkedBody struct {
	src     io.Reader
	size    int64 // -1: not told
	max     int64
	n       int64
	sums    []*checksum
	trailer func() http.Header
	err     error // the refusal the body ended with
}

func (b *checkedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.src.Read(p)
	b.n += int64(n)
	for _, s := range b.sums {
		s.h.Write(p[:n])
	}
	switch {
	case b.max > 0 && b.n > b.max:
		b.err = s3Error(http.StatusBadRequest, CodeEntityTooLarge,
			"Your proposed upload exceeds the maximum allowed object size (%d bytes).", b.max)
	case b.size >= 0 && b.n > b.size:
		b.err = s3Error(http.StatusBadRequest, CodeIncompleteBody, "the body is longer than its stated length")
	case err == io.EOF:
		b.err = b.finish()
	case err != nil:
		var public interface{ Code() string }
		if errors.As(err, &public) {
			b.err = err // a refusal of the decoder: a bad chunk signature, a payload hash
		}
		return n, err
	}
	if b.err != nil {
		return n, b.err
	}
	return n, err
}

// finish checks what can be checked at the body's end.
func (b *checkedBody) finish() error {
	if b.size >= 0 && b.n != b.size {
		return s3Error(http.StatusBadRequest, CodeIncompleteBody,
			"You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	if b.trailer != nil {
		for name, vs := range b.trailer() {
			alg, ok := algorithmOf(name)
			if !ok || len(vs) == 0 {
				continue
			}
			// Only those announced in x-amz-trailer were hashed.
			if s := b.find(alg); s != nil {
				if !alg.valid(vs[0]) {
					return s3Error(http.StatusBadRequest, CodeInvalidDigest, "The %s you specified is not valid.", alg.label)
				}
				s.want = vs[0]
			}
		}
	}
	for _, s := range b.sums {
		s.got = base64.StdEncoding.EncodeToString(s.h.Sum(nil))
		if s.want == "" || s.optional && b.n > 0 && s.want == s.alg.empty() {
			continue
		}
		if s.got != s.want {
			return s3Error(http.StatusBadRequest, CodeBadDigest, "The %s you specified did not match the calculated checksum.", s.alg.label)
		}
	}
	return nil
}

func (b *checkedBody) find(alg algorithm) *checksum {
	for _, s := range b.sums {
		if s.alg.label == alg.label {
			return s
		}
	}
	return nil
}

// expectedChecksums reads the checksums a PutObject names: Content-MD5,
// an x-amz-checksum-* header, one announced for the trailer
// (x-amz-trailer), or one in a presigned URL's query.
func expectedChecksums(r *http.Request, query url.Values) ([]*checksum, error) {
	var sums []*checksum
	add := func(alg algorithm, want string, optional bool) error {
		if want != "" && !alg.valid(want) {
			return s3Error(http.StatusBadRequest, CodeInvalidDigest, "The %s you specified is not valid.", alg.label)
		}
		for _, s := range sums {
			if s.alg.label == alg.label {
				return nil
			}
		}
		sums = append(sums, &checksum{alg: alg, h: alg.new(), want: want, optional: optional})
		return nil
	}
	if v := r.Header.Get("Content-MD5"); v != "" {
		if err := add(md5Algorithm, v, false); err != nil {
			return nil, err
		}
	}
	for name, vs := range r.Header {
		if alg, ok := algorithmOf(name); ok {
			if err := add(alg, vs[0], false); err != nil {
				return nil, err
			}
		}
	}
	for _, name := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
		if alg, ok := algorithmOf(strings.TrimSpace(name)); ok {
			if err := add(alg, "", false); err != nil {
				return nil, err
			}
		}
	}
	// A presigned URL's checksum was fixed when it was signed. Current
	// SDKs put in the checksum of an empty body whatever is uploaded
	// later: such a value is checked only when the body is empty, where it
	// can be right (optional). Any other value is checked.
	for name, vs := range query {
		if alg, ok := algorithmOf(name); ok && len(vs) > 0 {
			if err := add(alg, vs[0], true); err != nil {
				return nil, err
			}
		}
	}
	return sums, nil
}
