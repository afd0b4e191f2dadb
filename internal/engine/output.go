package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes keeps names under the 255-byte limit of common file systems,
// with room for a " (n)" suffix.
const maxNameBytes = 200

// SanitizeName turns a user-supplied file name into a single safe path
// element: directories are dropped, control characters and separators are
// removed, and "", "." and ".." become fallback. It never returns a name that
// could escape a directory when joined to it.
func SanitizeName(name, fallback string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || r == ':' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if len(name) > maxNameBytes {
		stem, ext := SplitExt(name)
		if len(ext) > 20 {
			stem, ext = name, ""
		}
		stem = truncateUTF8(stem, maxNameBytes-len(ext))
		name = stem + ext
	}
	if name == "" || name == "." || name == ".." {
		return fallback
	}
	return name
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// OutputName is the user-facing name of an output: the task's filename option
// when given, else the input's name with its extension replaced by the output
// format ("logo.png" to jpg gives "logo.jpg").
func OutputName(input File, opts Options, format string) (string, error) {
	if name, err := opts.String("filename"); err != nil {
		return "", err
	} else if name != "" {
		return SanitizeName(name, "output."+format), nil
	}
	stem, _ := SplitExt(SanitizeName(input.Name, "output"))
	return stem + "." + format, nil
}

// CreateOutput creates a new file for name in dir. It never overwrites: when
// name is taken (by an input, or by another output of the same task) it tries
// "name (1).ext", "name (2).ext", ... The returned File's Name is the name
// actually used, so two outputs of one task never share a name.
func CreateOutput(dir, name string) (*os.File, File, error) {
	name = SanitizeName(name, "output")
	stem, ext := SplitExt(name)
	for i := 0; i < 1000; i++ {
		candidate := name
		if i > 0 {
			candidate = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		p := filepath.Join(dir, candidate)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, File{}, Wrap(CodeConversionFailed, err, "could not create the output file")
		}
		return f, File{Path: p, Name: candidate}, nil
	}
	return nil, File{}, Errorf(CodeConversionFailed, "could not find a free name for %s", name)
}
