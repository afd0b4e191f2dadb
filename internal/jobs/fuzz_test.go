package jobs

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/jobs/jobspec"
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

// FuzzDecodePayload: a queued job that cannot be read is refused, never a
// panic; one that can be read is a valid job whose status matches it, and
// a job encoded for the queue decodes to the same job and status.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(blockJob), []byte(`{"spec":{},"status":{"id":"x","tasks":[]}}`))
	f.Add([]byte(`{"tag":"t","tasks":{"in":{"operation":"import/raw","file":"x","filename":"a.txt"},"out":{"operation":"export/url","input":"in"}}}`), []byte(`{`))
	f.Fuzz(func(t *testing.T, jobJSON, junk []byte) {
		if spec, st, err := decodePayload(junk); err == nil {
			if spec == nil || st.ID == "" || len(st.Tasks) != len(spec.Tasks) {
				t.Fatalf("decoded %q into a job that does not match its status", junk)
			}
			restoreJob(spec, st) // must not panic
		}
		spec, err := jobspec.Decode(jobJSON)
		if err != nil || jobspec.Validate(spec) != nil {
			return
		}
		j := newJob(spec, time.Unix(0, 0))
		raw, err := encodePayload(spec, j.Status())
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, st, err := decodePayload(raw)
		if err != nil {
			t.Fatalf("decode what was encoded: %v", err)
		}
		h1, _ := jobspec.Hash(spec)
		h2, _ := jobspec.Hash(back)
		if h1 != h2 || st.ID != j.ID() || len(st.Tasks) != len(j.Status().Tasks) {
			t.Fatalf("round trip changed the job: %s %s", h1, h2)
		}
	})
}
