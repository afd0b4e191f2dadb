package imagego

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	// Decoders register themselves with package image; only these formats
	// are ever decoded, whatever the file claims to be.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/signedgate/gateway/internal/engine"
)

type limits struct {
	maxPixels int
	maxSide   int
}

// check refuses sizes over the limits with TOO_LARGE. what names the image
// in the message ("the input image").
func (l limits) check(w, h int, what string) error {
	if w > l.maxSide || h > l.maxSide || int64(w)*int64(h) > int64(l.maxPixels) {
		return engine.Errorf(engine.CodeTooLarge,
			"%s is %dx%d pixels; the limit is %d pixels and %d per side", what, w, h, l.maxPixels, l.maxSide)
	}
	return nil
}

// checkRequest refuses a requested box over the limits before any decoding,
// so a job asking for a 100000-pixel-wide thumbnail fails fast.
func (l limits) checkRequest(w, h int) error {
	if w > l.maxSide || h > l.maxSide || int64(w)*int64(h) > int64(l.maxPixels) {
		return engine.Errorf(engine.CodeTooLarge,
			"the requested size %dx%d is over the limit of %d pixels and %d per side", w, h, l.maxPixels, l.maxSide)
	}
	return nil
}

// decoded is an input image and the format its content was recognised as.
type decoded struct {
	img    image.Image
	format string
}

func (l limits) decodeFile(path string) (decoded, error) {
	f, err := os.Open(path)
	if err != nil {
		return decoded{}, engine.Wrap(engine.CodeConversionFailed, err, "could not open the input file")
	}
	defer f.Close()
	return l.decode(f)
}

// decode reads the header first and refuses oversized images before the
// decoder allocates the pixel buffer: a 100 kB PNG can claim 10 gigapixels
// (a decompression bomb), and image.Decode would allocate for it up front.
func (l limits) decode(r io.ReadSeeker) (decoded, error) {
	br := bufio.NewReader(r)
	cfg, format, err := image.DecodeConfig(br)
	if err != nil {
		return decoded{}, invalid(err, format)
	}
	if err := l.check(cfg.Width, cfg.Height, "the input image"); err != nil {
		return decoded{}, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return decoded{}, engine.Wrap(engine.CodeConversionFailed, err, "could not read the input file")
	}
	br.Reset(r)
	img, format, err := image.Decode(br)
	if err != nil {
		return decoded{}, invalid(err, format)
	}
	// The decoders bound the image by the header we checked, but a decoder
	// bug should fail here rather than in the resizer.
	b := img.Bounds()
	if err := l.check(b.Dx(), b.Dy(), "the input image"); err != nil {
		return decoded{}, err
	}
	if format == "gif" && (b.Dx() != cfg.Width || b.Dy() != cfg.Height) {
		img = onCanvas(img, cfg.Width, cfg.Height)
	}
	return decoded{img: img, format: engine.NormalizeFormat(format)}, nil
}

func invalid(err error, format string) error {
	if errors.Is(err, image.ErrFormat) || format == "" {
		return engine.Wrap(engine.CodeInvalidInput, err,
			"the input file is not an image in a format this engine reads (png, jpg, gif, bmp, tiff, webp)")
	}
	return engine.Wrap(engine.CodeInvalidInput, err,
		fmt.Sprintf("the input file is not a valid %s image", engine.NormalizeFormat(format)))
}
