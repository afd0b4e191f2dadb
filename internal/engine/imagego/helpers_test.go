package imagego

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

// gradient makes a w x h test image with a diagonal colour ramp and, when
// alpha is set, a transparent left half, so scaling and flattening both show.
func gradient(w, h int, alpha bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), 128, a})
		}
	}
	return img
}

// encodeAs encodes img in format with the engine's own encoders. Go has no
// WebP encoder, so a webp input is a solid image of img's size (webpSolid).
func encodeAs(t testing.TB, img image.Image, format string) []byte {
	t.Helper()
	if format == "webp" {
		return webpSolid(img.Bounds().Dx(), img.Bounds().Dy(), color.NRGBA{200, 100, 50, 255})
	}
	var buf bytes.Buffer
	if err := (encoding{format: format, quality: 90}).encode(&buf, img); err != nil {
		t.Fatalf("encode %s: %v", format, err)
	}
	return buf.Bytes()
}

// webpSolid builds a lossless WebP (VP8L) of one colour by hand: no
// transforms, no colour cache, and five one-symbol prefix codes, so every
// pixel costs zero bits and the file is only headers. It is enough to test
// WebP input, and to claim any size up to 16384x16384 in a few bytes.
func webpSolid(w, h int, c color.NRGBA) []byte {
	var bw bitWriter
	bw.write(0x2f, 8) // VP8L signature
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(1, 1) // alpha is used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A, 0} {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // 8-bit symbol
		bw.write(uint32(sym), 8)
	}
	data := bw.bytes()
	if len(data)%2 == 1 {
		data = append(data, 0)
	}
	le := func(n int) []byte { return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)} }
	chunk := append(append([]byte("VP8L"), le(len(bw.bytes()))...), data...)
	out := append([]byte("RIFF"), le(4+len(chunk))...)
	return append(append(out, "WEBP"...), chunk...)
}

// bitWriter packs bits least-significant first, as VP8L reads them.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

func (b *bitWriter) write(v uint32, n uint) {
	b.acc |= uint64(v) << b.nacc
	b.nacc += n
	for b.nacc >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.nacc -= 8
	}
}

func (b *bitWriter) bytes() []byte {
	if b.nacc > 0 {
		return append(b.buf[:len(b.buf):len(b.buf)], byte(b.acc))
	}
	return b.buf
}

// writeInput stores data as a job input named name in a fresh work dir.
func writeInput(t testing.TB, name string, data []byte) (engine.File, string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "in-"+name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return engine.File{Path: p, Name: name}, dir
}

// decodeOutput opens an output and returns its sniffed format and size.
func decodeOutput(t testing.TB, f engine.File) (string, image.Image) {
	t.Helper()
	r, err := os.Open(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, format, err := image.Decode(r)
	if err != nil {
		t.Fatalf("decode output %s: %v", f.Name, err)
	}
	return engine.NormalizeFormat(format), img
}
