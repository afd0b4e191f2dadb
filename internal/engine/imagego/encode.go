package imagego

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"

	"github.com/signedgate/gateway/internal/engine"
)

// encoding is how an output is written.
type encoding struct {
	format  string
	quality int  // JPEG only
	best    bool // spend CPU for size (optimize)
}

func (e encoding) encode(w io.Writer, img image.Image) error {
	switch e.format {
	case "jpg":
		return jpeg.Encode(w, flatten(img), &jpeg.Options{Quality: e.quality})
	case "png":
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		if e.best {
			enc.CompressionLevel = png.BestCompression
		}
		return enc.Encode(w, img)
	case "gif":
		return gif.Encode(w, paletted(img), nil)
	case "bmp":
		return bmp.Encode(w, bmpCompatible(img))
	case "tiff":
		return tiff.Encode(w, img, &tiff.Options{Compression: tiff.Deflate, Predictor: true})
	}
	return engine.Errorf(engine.CodeUnsupportedConversion, "imagego cannot write %s", e.format)
}

// paletted converts img to at most 256 colours for GIF. The stock encoder
// would use the Plan 9 palette with no transparent entry, turning
// transparent areas black; here the last entry is made transparent when img
// needs one, and the error-diffusion drawer picks it for clear pixels.
func paletted(img image.Image) *image.Paletted {
	if p, ok := img.(*image.Paletted); ok {
		return p
	}
	pal := color.Palette(palette.Plan9)
	if !isOpaque(img) {
		pal = append(pal[:255:255], color.Transparent)
	}
	b := img.Bounds()
	p := image.NewPaletted(b, pal)
	draw.FloydSteinberg.Draw(p, b, img, b.Min)
	return p
}

// bmpCompatible returns img in a type the BMP encoder writes with its alpha;
// for any other type it would read colours premultiplied and drop alpha.
func bmpCompatible(img image.Image) image.Image {
	switch img.(type) {
	case *image.Gray, *image.Paletted, *image.RGBA, *image.NRGBA:
		return img
	}
	b := img.Bounds()
	dst := image.NewNRGBA(b)
	draw.Draw(dst, b, img, b.Min, draw.Src)
	return dst
}

// writeTo encodes img into a new file in dir.
func writeTo(dir, name string, img image.Image, enc encoding) (engine.File, error) {
	f, out, err := engine.CreateOutput(dir, name)
	if err != nil {
		return engine.File{}, err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = enc.encode(bw, img)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Path)
		return engine.File{}, engine.AsError(err)
	}
	return out, nil
}

// optimizeTo re-encodes img and keeps whichever of the new encoding and the
// original file is smaller: optimize must never make a file bigger, and an
// already well-compressed JPEG re-encoded at quality 75 can grow. The
// original is only a candidate when its content is already in the output
// format (sameFormat), since a mislabelled file must still come out right.
func optimizeTo(dir, name, origPath string, sameFormat bool, img image.Image, enc encoding) (engine.File, error) {
	var buf bytes.Buffer
	if err := enc.encode(&buf, img); err != nil {
		return engine.File{}, engine.AsError(err)
	}
	data := buf.Bytes()
	if sameFormat {
		if orig, err := os.ReadFile(origPath); err == nil && len(orig) <= len(data) {
			data = orig
		}
	}
	f, out, err := engine.CreateOutput(dir, name)
	if err != nil {
		return engine.File{}, err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Path)
		return engine.File{}, engine.AsError(err)
	}
	return out, nil
}
