package jobs

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// FuzzDecodeBase64: whatever the alphabet, padding or line breaks, bytes
// encoded by any of the encoders clients use decode back unchanged, and no
// input panics.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("hello"), "")
	f.Add([]byte{0xfb, 0xff, 0xfe}, "\n")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, data []byte, junk string) {
		decodeBase64(junk) // must not panic
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			s := enc.EncodeToString(data)
			if len(s) > 4 {
				s = s[:4] + "\r\n" + s[4:] // as MIME encoders wrap lines
			}
			got, err := decodeBase64(s)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("decodeBase64(%q) = %x, %v; want %x", s, got, err, data)
			}
		}
	})
}
