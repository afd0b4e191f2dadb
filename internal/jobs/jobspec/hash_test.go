package jobspec

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

func mustHash(t testing.TB, data []byte) string {
	t.Helper()
	j, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode(%s): %v", data, err)
	}
	h, err := Hash(j)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return h
}

// TestHashSameJobEverySDK: testdata/spellings holds one job as each SDK
// writes it (spacing, \u00e9 or \u00E9 or raw UTF-8, \/, tag/webhook_url
// null, input as string or list, fields in another order).
func TestHashSameJobEverySDK(t *testing.T) {
	files, err := filepath.Glob("testdata/spellings/*.json")
	if err != nil || len(files) < 2 {
		t.Fatalf("spellings: %v, %d files", err, len(files))
	}
	want := mustHash(t, readFile(t, files[0]))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if got := mustHash(t, readFile(t, f)); got != want {
				t.Errorf("got %s, want %s (as %s)", got, want, files[0])
			}
		})
	}
}

func TestHashDiffers(t *testing.T) {
	base := job(imp, `c:"operation":"convert","input":"in","output_format":"pdf","width":800`, `out:"operation":"export/url","input":"c"`)
	tests := []struct{ name, data string }{
		{"task order", job(`c:"operation":"convert","input":"in","output_format":"pdf","width":800`, imp, `out:"operation":"export/url","input":"c"`)},
		{"task name", job(imp, `d:"operation":"convert","input":"in","output_format":"pdf","width":800`, `out:"operation":"export/url","input":"d"`)},
		{"field value", job(imp, `c:"operation":"convert","input":"in","output_format":"png","width":800`, `out:"operation":"export/url","input":"c"`)},
		{"number spelling", job(imp, `c:"operation":"convert","input":"in","output_format":"pdf","width":800.0`, `out:"operation":"export/url","input":"c"`)},
		{"number as string", job(imp, `c:"operation":"convert","input":"in","output_format":"pdf","width":"800"`, `out:"operation":"export/url","input":"c"`)},
		{"extra field", job(imp, `c:"operation":"convert","input":"in","output_format":"pdf","width":800,"height":1`, `out:"operation":"export/url","input":"c"`)},
		{"tag", `{"tag":"t",` + base[1:]},
		{"webhook_url", `{"webhook_url":"https://h",` + base[1:]},
		{"other top-level key", `{"x":1,` + base[1:]},
	}
	want := mustHash(t, []byte(base))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustHash(t, []byte(tt.data)); got == want {
				t.Errorf("got the same hash %s for %s", got, tt.data)
			}
		})
	}
}

func TestHashSDKPayloads(t *testing.T) {
	// PHP's vector and Node's README vector differ only in a filename.
	php := readFile(t, "testdata/sdk/php-unit.json")
	node := bytes.Replace(readFile(t, "testdata/sdk/node-readme.json"), []byte("logo.png"), []byte("test.png"), 1)
	if got, want := mustHash(t, php), mustHash(t, node); got != want {
		t.Errorf("PHP %s, Node %s: want equal", got, want)
	}
	if len(mustHash(t, php)) != 64 {
		t.Error("hash is not 64 hex characters")
	}
}

// TestCanonicalGolden pins the canonical form: changing it changes every
// cache key, which must be a decision (bump hashVersion), not an accident.
func TestCanonicalGolden(t *testing.T) {
	j, err := Decode(readFile(t, "testdata/spellings/python.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"tasks":{"import-1":{"operation":"import/url","filename":"café.docx","url":"https://example.com/a/café.docx"},` +
		`"convert-1":{"operation":"convert","input":["import-1"],"meta":{"a":"x","b":1},"output_format":"pdf","pages":"1-3","pdf_a":true,"width":800},` +
		`"export-1":{"operation":"export/url","input":["convert-1"],"inline":true}},"tag":"report-é"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	again, err := Decode(got)
	if err != nil {
		t.Fatal(err)
	}
	if h1, h2 := mustHash(t, got), mustHash(t, readFile(t, "testdata/spellings/python.json")); h1 != h2 {
		t.Errorf("canonical form hashes %s, original %s", h1, h2)
	}
	if names(again.Tasks) != names(j.Tasks) {
		t.Errorf("order: got %s, want %s", names(again.Tasks), names(j.Tasks))
	}
}

func TestHashHandBuiltInvalid(t *testing.T) {
	j := &Job{Tasks: []*Task{{Name: "a", Operation: "convert", Fields: map[string]json.RawMessage{"x": json.RawMessage("{")}}}}
	if h, err := Hash(j); err == nil {
		t.Errorf("got %s, want an error for an invalid field", h)
	}
}
