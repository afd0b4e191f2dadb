package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"

	"github.com/signedgate/gateway/internal/verify"
)

// Bounds of an aws-chunked body's framing: a chunk-size line (hex size and
// a chunk signature take about 90 bytes) and the trailer section (a few
// checksums). The chunks themselves stream through, whatever their size.
const (
	maxChunkLine    = 4 << 10
	maxTrailerBytes = 16 << 10
)

var (
	ErrChunkMalformed = verify.Refuse(http.StatusBadRequest, CodeInvalidRequest,
		"The aws-chunked body is malformed: expecting hex-size[;chunk-signature=...]\\r\\n data \\r\\n ... 0\\r\\n [trailers] \\r\\n")
	ErrTrailerTooLarge = verify.Refuse(http.StatusBadRequest, CodeInvalidRequest,
		"The trailing headers of the aws-chunked body are too large")
	ErrDecodedLengthExceeded = verify.Refuse(http.StatusBadRequest, CodeInvalidRequest,
		"The decoded body is longer than x-amz-decoded-content-length")
	ErrNotChunked = verify.Refuse(http.StatusBadRequest, CodeInvalidArgument,
		"x-amz-content-sha256 is not an aws-chunked form, or not the one that was signed")
)

// ChunkedReader decodes an aws-chunked body (Content-Encoding: aws-chunked)
// into the object's bytes. For the signed forms it checks every chunk's
// signature, chained from the request's seed signature, and the trailer's;
// for all forms it bounds the framing and checks the decoded length.
//
// Bytes are handed out as they arrive, before the chunk they belong to is
// verified (holding chunks back would cost a chunk of memory per upload):
// like NewPayloadReader's, the bytes are trustworthy only once Read has
// returned io.EOF. On any other error the caller stores nothing.
type ChunkedReader struct {
	r       *bufio.Reader
	signed  bool // chunk signatures
	trailer bool // a trailer section follows the last chunk
	key     [32]byte
	head    []byte // "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n"
	prev    []byte // hex signature of the previous chunk (the seed at first)
	sts     []byte // scratch for the HMAC block
	h       hash.Hash
	want    [32]byte // the current chunk's signature
	left    int64    // bytes of the current chunk not read yet
	inChunk bool     // between a chunk's size line and its closing CRLF
	total   int64
	decoded int64
	header  http.Header
	err     error // sticky; io.EOF when done
}

// NewChunkedReader decodes body, sent with x-amz-content-sha256 mode (one of
// the STREAMING-* forms) by the request a was parsed from and verified with
// secret for region. For the signed forms a must be the verified Auth;
// STREAMING-UNSIGNED-PAYLOAD-TRAILER needs no key (a may be nil). When
// decodedLength is not -1 (x-amz-decoded-content-length), the decoded body
// must be exactly that long.
func NewChunkedReader(body io.Reader, a *Auth, secret, region string, mode string, decodedLength int64) *ChunkedReader {
	c := &ChunkedReader{r: bufio.NewReaderSize(body, maxChunkLine), decoded: decodedLength}
	switch mode {
	case StreamingSigned:
		c.signed = true
	case StreamingSignedTrailer:
		c.signed, c.trailer = true, true
	case StreamingUnsignedTrailer:
		c.trailer = true
	default:
		c.err = ErrNotChunked
		return c
	}
	if a != nil && a.PayloadHash != mode || c.signed && (a == nil || len(a.Signature) != 32) {
		c.err = ErrNotChunked
		return c
	}
	if c.signed {
		c.key = Keys.Key(secret, a.Credential.Date, region)
		cred := a.Credential
		cred.Region = region
		c.head = appendAlgorithmAndTime(nil, "AWS4-HMAC-SHA256-PAYLOAD", a.Time)
		c.head = append(appendScope(c.head, cred), '\n')
		c.prev = hex.AppendEncode(nil, a.Signature)
		c.h = sha256.New()
	}
	return c
}

// Trailer returns the trailing headers (such as X-Amz-Checksum-Crc32) once
// Read has returned io.EOF, nil before.
func (c *ChunkedReader) Trailer() http.Header {
	if c.err != io.EOF {
		return nil
	}
	return c.header
}

func (c *ChunkedReader) Read(p []byte) (int, error) {
	for c.err == nil {
		if c.left > 0 {
			if len(p) == 0 {
				return 0, nil
			}
			n, err := c.r.Read(p[:min(int64(len(p)), c.left)])
			c.left -= int64(n)
			c.total += int64(n)
			if c.signed {
				c.h.Write(p[:n])
			}
			switch {
			case c.decoded >= 0 && c.total > c.decoded:
				c.err = ErrDecodedLengthExceeded
			case err == io.EOF:
				c.err = ErrIncompleteBody
			case err != nil:
				c.err = err
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if c.inChunk {
			c.err = c.endChunk()
			continue
		}
		c.err = c.nextChunk()
	}
	return 0, c.err
}

// endChunk reads the CRLF after a chunk's data and checks its signature.
func (c *ChunkedReader) endChunk() error {
	c.inChunk = false
	var crlf [2]byte
	if _, err := io.ReadFull(c.r, crlf[:]); err != nil {
		return bodyError(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return ErrChunkMalformed
	}
	return c.checkChunk()
}

// checkChunk compares the current chunk's signature and moves the chain on.
func (c *ChunkedReader) checkChunk() error {
	if !c.signed {
		return nil
	}
	var sum [32]byte
	c.sts = append(c.sts[:0], make([]byte, 64)...)
	c.sts = append(c.sts, c.head...)
	c.sts = append(c.sts, c.prev...)
	c.sts = append(c.sts, "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"...)
	c.sts = hex.AppendEncode(c.sts, c.h.Sum(sum[:0]))
	c.h.Reset()
	return c.checkSignature()
}

func (c *ChunkedReader) checkSignature() error {
	got := hmacWithKey(&c.key, c.sts)
	if !hmac.Equal(got[:], c.want[:]) {
		return ErrSignatureDoesNotMatch
	}
	c.prev = hex.AppendEncode(c.prev[:0], got[:])
	return nil
}

// nextChunk reads a chunk-size line; at the last (empty) chunk it also
// reads the trailers and ends the body.
func (c *ChunkedReader) nextChunk() error {
	line, err := c.line()
	if err != nil {
		return err
	}
	size, ext, _ := strings.Cut(line, ";")
	if size == "" || !isHexString(size) {
		return ErrChunkMalformed
	}
	if size = strings.TrimLeft(size, "0"); len(size) > 15 {
		return ErrChunkMalformed
	}
	for i := 0; i < len(size); i++ {
		c.left = c.left<<4 | int64(unhex(size[i]))
	}
	if c.signed {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok || !decodeSignature(sig, &c.want) {
			return ErrSignatureDoesNotMatch
		}
	}
	if c.left > 0 {
		c.inChunk = true
		return nil
	}
	if err := c.checkChunk(); err != nil {
		return err
	}
	if err := c.trailers(); err != nil {
		return err
	}
	if c.decoded >= 0 && c.total != c.decoded {
		return ErrIncompleteBody
	}
	return io.EOF
}

// trailers reads the trailer section up to the empty line that ends the
// body, checking the trailer signature of the signed form.
func (c *ChunkedReader) trailers() error {
	var canonical []byte
	size := 0
	signed := false
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		if size += len(line); size > maxTrailerBytes || !c.trailer || signed {
			// A trailer on a form without any, or after the trailer
			// signature, was not signed by anyone.
			if size > maxTrailerBytes {
				return ErrTrailerTooLarge
			}
			return ErrChunkMalformed
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || !validHeaderName(name) {
			return ErrChunkMalformed
		}
		value = strings.TrimSpace(value)
		if c.signed && name == "x-amz-trailer-signature" {
			if !decodeSignature(value, &c.want) {
				return ErrSignatureDoesNotMatch
			}
			signed = true
			continue
		}
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Add(name, value)
		canonical = append(canonical, name...)
		canonical = append(canonical, ':')
		canonical = append(canonical, value...)
		canonical = append(canonical, '\n')
	}
	if !c.signed || !c.trailer {
		return nil
	}
	if !signed {
		return ErrSignatureDoesNotMatch
	}
	sum := sha256.Sum256(canonical)
	c.sts = append(c.sts[:0], make([]byte, 64)...)
	c.sts = append(c.sts, "AWS4-HMAC-SHA256-TRAILER"...)
	c.sts = append(c.sts, c.head[len("AWS4-HMAC-SHA256-PAYLOAD"):]...)
	c.sts = append(c.sts, c.prev...)
	c.sts = append(c.sts, '\n')
	c.sts = hex.AppendEncode(c.sts, sum[:])
	return c.checkSignature()
}

// line reads one framing line, without its line ending (CRLF, or a bare LF
// from lenient clients), refusing lines longer than the bound.
func (c *ChunkedReader) line() (string, error) {
	b, err := c.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", ErrChunkMalformed
	case err != nil:
		return "", bodyError(err)
	}
	b = bytes.TrimSuffix(b[:len(b)-1], []byte{'\r'})
	return string(b), nil
}

// bodyError turns the end of the body inside the framing into S3's
// IncompleteBody; read errors of the connection pass through.
func bodyError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return ErrIncompleteBody
	}
	return err
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}
