package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"testdata/sdk", "testdata/spellings"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"tasks":[]}`))
	f.Add([]byte(`{"tasks":{"a":{"operation":"optimize","input":"b"},"b":{"operation":"optimize","input":["a"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := Decode(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		verr := Validate(j)
		if verr != nil && !errors.Is(verr, ErrInvalidData) {
			t.Fatalf("Validate error %v is not ErrInvalidData", verr)
		}
		if stages, err := TopoOrder(j); err == nil {
			n := 0
			for _, s := range stages {
				n += len(s)
			}
			if n != len(j.Tasks) {
				t.Fatalf("TopoOrder placed %d of %d tasks", n, len(j.Tasks))
			}
		} else if verr == nil {
			t.Fatalf("Validate accepted a job TopoOrder refuses: %v", err)
		}
		want, err := Hash(j)
		if err != nil {
			t.Fatalf("Hash of a decoded job: %v", err)
		}
		canon, err := j.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		for name, variant := range map[string][]byte{
			"canonical":     canon,
			"indented":      indent(t, data),
			"escaped slash": escapeSlashes(data),
			"ASCII only":    asciiEscape(data),
		} {
			if len(variant) > MaxPayload {
				continue
			}
			j2, err := Decode(variant)
			if err != nil {
				t.Fatalf("%s: Decode(%q): %v", name, variant, err)
			}
			if got, _ := Hash(j2); got != want {
				t.Fatalf("%s: hash %s, want %s\n%s\n%s", name, got, want, data, variant)
			}
			if (Validate(j2) == nil) != (verr == nil) {
				t.Fatalf("%s: Validate differs", name)
			}
		}
	})
}

func indent(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		t.Fatalf("indent valid JSON: %v", err)
	}
	return b.Bytes()
}

// escapeSlashes writes "/" as "\/", as PHP does, leaving existing
// escapes alone. In valid JSON "/" only occurs inside strings.
func escapeSlashes(data []byte) []byte {
	var b bytes.Buffer
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\\':
			b.WriteByte('\\')
			i++
			b.WriteByte(data[i])
		case '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(data[i])
		}
	}
	return b.Bytes()
}

// asciiEscape rewrites every non-ASCII rune as \uXXXX, as PHP and Python
// do. In valid JSON such runes only occur inside strings.
func asciiEscape(data []byte) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		switch {
		case r < utf8.RuneSelf:
			b.WriteByte(data[0])
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04X`, r)
		}
		data = data[n:]
	}
	return b.Bytes()
}
