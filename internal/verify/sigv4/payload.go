package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// NewPayloadReader passes body through and, at its end, compares its
// SHA-256 with hexSHA256 (x-amz-content-sha256 of header authentication):
// on a difference the final Read returns ErrContentSHA256Mismatch instead
// of io.EOF. The bytes read before are trustworthy only once io.EOF came:
// the caller streams them to storage and commits only then.
func NewPayloadReader(body io.Reader, hexSHA256 string) io.Reader {
	p := &payloadReader{r: body, h: sha256.New()}
	if n, err := hex.Decode(p.want[:], []byte(hexSHA256)); err != nil || n != len(p.want) || len(hexSHA256) != 64 {
		p.err = ErrInvalidContentSHA256
	}
	return p
}

type payloadReader struct {
	r    io.Reader
	h    hash.Hash
	want [32]byte
	err  error // sticky
}

func (p *payloadReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.r.Read(b)
	p.h.Write(b[:n])
	if err == io.EOF {
		var sum [32]byte
		if [32]byte(p.h.Sum(sum[:0])) != p.want {
			err = ErrContentSHA256Mismatch
		}
	}
	if err != nil {
		p.err = err
	}
	return n, err
}
