package urlsig

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// vector is one URL made by an official SDK (testdata/cloudconvert.json).
type vector struct {
	Name     string          `json:"name"`
	Base     string          `json:"base"`
	Secret   string          `json:"secret"`
	Job      json.RawMessage `json:"job"`
	CacheKey string          `json:"cache_key"`
	URL      string          `json:"url"`
	SDK      string          `json:"sdk"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/cloudconvert.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

// rawQuery returns what follows base + "?" in v.URL, as a server sees it.
func (v vector) rawQuery(t testing.TB) string {
	t.Helper()
	q, ok := strings.CutPrefix(v.URL, v.Base+"?")
	if !ok {
		t.Fatalf("url %q does not start with base %q", v.URL, v.Base)
	}
	return q
}

func TestVectorsVerify(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			q, err := Parse(v.rawQuery(t))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if q.CacheKey != v.CacheKey {
				t.Errorf("cache_key: got %q, want %q", q.CacheKey, v.CacheKey)
			}
			if err := Verify(v.Base, [][]byte{[]byte(v.Secret)}, q); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := NewKey([]byte(v.Secret)).Verify(v.Base, q); err != nil {
				t.Fatalf("Key.Verify: %v", err)
			}
			js, err := DecodeJob(q.Job)
			if err != nil {
				t.Fatalf("DecodeJob: %v", err)
			}
			var got, want any
			if err := json.Unmarshal(js, &got); err != nil {
				t.Fatalf("decoded job is not JSON: %v\n%s", err, js)
			}
			if err := json.Unmarshal(v.Job, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("job: got %s, want %s", js, v.Job)
			}
		})
	}
}

// TestVectorsSign rebuilds each SDK URL from its decoded job bytes. Python
// keeps "=" padding, so its URL is rebuilt with the padded job as sent.
func TestVectorsSign(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			q, err := Parse(v.rawQuery(t))
			if err != nil {
				t.Fatal(err)
			}
			js, err := DecodeJob(q.Job)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			switch {
			case q.HasCacheKey && q.CacheKey == "":
				// Ruby, Java and .NET send "&cache_key=" for an empty key.
				u := v.Base + "?job=" + q.Job + "&cache_key="
				got = u + "&s=" + Signature([]byte(v.Secret), u)
			case strings.HasSuffix(q.Job, "="):
				u := v.Base + "?job=" + q.Job + "&cache_key=" + v.CacheKey
				got = u + "&s=" + Signature([]byte(v.Secret), u)
			default:
				got = Sign(v.Base, v.Secret, js, v.CacheKey)
			}
			if got != v.URL {
				t.Errorf("got  %s\nwant %s", got, v.URL)
			}
		})
	}
}

// TestVectorsTamper changes every single byte of the base, the job value,
// the cache_key value and s, one at a time; each change must be refused.
func TestVectorsTamper(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			secrets := [][]byte{[]byte(v.Secret)}
			key := NewKey([]byte(v.Secret))
			raw := v.rawQuery(t)
			q, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			for i := range len(v.Base) {
				if Verify(flip(v.Base, i), secrets, q) == nil || key.Verify(flip(v.Base, i), q) == nil {
					t.Errorf("base byte %d changed: accepted", i)
				}
			}
			for _, name := range []string{"job=", "cache_key=", "s="} {
				start := strings.Index(raw, name)
				if start < 0 {
					t.Fatalf("no %s in %q", name, raw)
				}
				start += len(name)
				end := start + strings.IndexByte(raw[start:]+"&", '&')
				for i := start; i < end; i++ {
					tq, err := Parse(flip(raw, i))
					keyErr := err
					if err == nil {
						err = Verify(v.Base, secrets, tq)
						keyErr = key.Verify(v.Base, tq)
					}
					if err == nil || keyErr == nil {
						t.Errorf("%s byte %d changed: accepted", name, i-start)
					}
				}
			}
		})
	}
}

// flip changes byte i of s to another byte of the same case.
func flip(s string, i int) string {
	b := []byte(s)
	b[i] ^= 1
	return string(b)
}

func TestVectorsRotation(t *testing.T) {
	v := loadVectors(t)[0]
	q, err := Parse(v.rawQuery(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		secrets [][]byte
		want    error
	}{
		{"only secret", [][]byte{[]byte(v.Secret)}, nil},
		{"new then old", [][]byte{[]byte("new-secret"), []byte(v.Secret)}, nil},
		{"old then new", [][]byte{[]byte(v.Secret), []byte("new-secret")}, nil},
		{"wrong secret", [][]byte{[]byte("new-secret")}, ErrInvalidSignature},
		{"empty secret skipped", [][]byte{nil, []byte("x")}, ErrInvalidSignature},
		{"no secret", nil, ErrNoSecret},
		{"only empty secrets", [][]byte{{}, nil}, ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(v.Base, tt.secrets, q); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	v := loadVectors(b)[0]
	q, err := Parse(v.rawQuery(b))
	if err != nil {
		b.Fatal(err)
	}
	secrets := [][]byte{[]byte(v.Secret)}
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(v.Base, secrets, q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyVerify(b *testing.B) {
	v := loadVectors(b)[0]
	q, err := Parse(v.rawQuery(b))
	if err != nil {
		b.Fatal(err)
	}
	key := NewKey([]byte(v.Secret))
	b.ReportAllocs()
	for b.Loop() {
		if err := key.Verify(v.Base, q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseVerifyDecode(b *testing.B) {
	v := loadVectors(b)[0]
	raw := v.rawQuery(b)
	secrets := [][]byte{[]byte(v.Secret)}
	b.ReportAllocs()
	for b.Loop() {
		q, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(v.Base, secrets, q); err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeJob(q.Job); err != nil {
			b.Fatal(err)
		}
	}
}
