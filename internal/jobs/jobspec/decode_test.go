package jobspec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t testing.TB, data string) *Job {
	t.Helper()
	j, err := Decode([]byte(data))
	if err != nil {
		t.Fatalf("Decode(%s): %v", data, err)
	}
	return j
}

func names(tasks []*Task) string {
	var n []string
	for _, t := range tasks {
		n = append(n, t.Name)
	}
	return strings.Join(n, ",")
}

// TestDecodeSDKPayloads reads the job bytes the SDK vectors carry (see
// internal/verify/urlsig/testdata/cloudconvert.json).
func TestDecodeSDKPayloads(t *testing.T) {
	tests := []struct {
		file      string
		order     string
		tag       string
		validates bool
	}{
		{"node-readme.json", "import-it,export-it", "", true},
		{"node-local.json", "import-my-file,convert-my-file,export-my-file", "", true},
		{"python-unit.json", "import-file,export-file", "", true},
		{"php-unit.json", "import-it,export-it", "", true},
		// The Ruby SDK's unit-test job has no export/url task: it is
		// signed correctly but there is no file to redirect to.
		{"ruby-empty-cache-key.json", "import-it,convert-it", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			j, err := Decode(readFile(t, filepath.Join("testdata", "sdk", tt.file)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := names(j.Tasks); got != tt.order {
				t.Errorf("task order: got %s, want %s", got, tt.order)
			}
			if got := j.Tasks[0].Operation; got != OpImportURL {
				t.Errorf("first operation: got %q, want %q", got, OpImportURL)
			}
			if u, _ := j.Tasks[0].String("url"); !strings.HasPrefix(u, "http") {
				t.Errorf("url: got %q", u)
			}
			err = Validate(j)
			if (err == nil) != tt.validates {
				t.Errorf("Validate: got %v, want valid=%v", err, tt.validates)
			}
		})
	}
}

func TestDecodePHPUnescapesSlashes(t *testing.T) {
	j, err := Decode(readFile(t, "testdata/sdk/php-unit.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := j.Task("import-it").String("url"); got != "https://some.url" {
		t.Errorf("url: got %q, want %q", got, "https://some.url")
	}
	if got := j.Task("export-it").Operation; got != OpExportURL {
		t.Errorf("operation: got %q, want %q", got, OpExportURL)
	}
	if inline, ok := j.Task("export-it").Bool("inline"); !ok || !inline {
		t.Errorf("inline: got %v, %v; want true, true", inline, ok)
	}
	if j.Extra != nil || j.Tag != "" || j.WebhookURL != "" {
		t.Errorf("null tag and webhook_url kept: %+v", j)
	}
}

func TestDecodeShapes(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		order string
		input map[string][]string
	}{
		{"empty tasks object", `{"tasks":{}}`, "", nil},
		{"empty tasks array (PHP)", `{"tasks":[],"tag":null,"webhook_url":null}`, "", nil},
		{"spaced empty array", `{ "tasks" : [ ] }`, "", nil},
		{"order kept, not sorted", `{"tasks":{"z":{"operation":"import/url","url":"u"},"a":{"operation":"export/url","input":"z"},"m":{"operation":"export/url","input":["z","a"]}}}`,
			"z,a,m", map[string][]string{"z": nil, "a": {"z"}, "m": {"z", "a"}}},
		{"empty input list is no input", `{"tasks":{"a":{"operation":"optimize","input":[]}}}`, "a", map[string][]string{"a": nil}},
		{"null input is no input", `{"tasks":{"a":{"operation":"optimize","input":null}}}`, "a", map[string][]string{"a": nil}},
		{"tasks after other keys", `{"tag":"t","x":[1],"tasks":{"b":{"operation":"merge"}}}`, "b", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustDecode(t, tt.data)
			if got := names(j.Tasks); got != tt.order {
				t.Errorf("order: got %q, want %q", got, tt.order)
			}
			for name, want := range tt.input {
				if got := j.Task(name).Input; !reflect.DeepEqual(got, want) {
					t.Errorf("input of %s: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", `tasks`, "not valid JSON"},
		{"truncated", `{"tasks":{"a":{"operation":"x"}`, "ends too early"},
		{"trailing data", `{"tasks":{}} {}`, "after the job object"},
		{"array job", `[]`, "must be a JSON object"},
		{"no tasks", `{"tag":"x"}`, `no "tasks"`},
		{"tasks null", `{"tasks":null}`, `"tasks" must be an object`},
		{"tasks non-empty array", `{"tasks":[{"operation":"convert"}]}`, `"tasks" must be an object`},
		{"task not object", `{"tasks":{"a":"convert"}}`, `task "a" must be a JSON object`},
		{"duplicate task", `{"tasks":{"a":{"operation":"convert"},"a":{"operation":"merge"}}}`, `key "a" appears more than once`},
		{"duplicate field", `{"tasks":{"a":{"operation":"convert","operation":"merge"}}}`, `key "operation" appears more than once`},
		{"duplicate top-level key", `{"tasks":{},"tasks":{}}`, `key "tasks" appears more than once`},
		{"no operation", `{"tasks":{"a":{"input":"b"}}}`, `task "a": missing "operation"`},
		{"operation number", `{"tasks":{"a":{"operation":1}}}`, `"operation" must be a string`},
		{"input number", `{"tasks":{"a":{"operation":"convert","input":1}}}`, `"input" must be a task name`},
		{"input list of numbers", `{"tasks":{"a":{"operation":"convert","input":[1]}}}`, `"input" must be a task name`},
		{"tag object", `{"tasks":{},"tag":{}}`, `"tag" must be a string`},
		{"invalid UTF-8", "{\"tasks\":{},\"tag\":\"\xff\"}", "UTF-8"},
		{"too large", `{"tasks":{},"x":"` + strings.Repeat("a", MaxPayload) + `"}`, "larger than"},
		{"too many tasks", manyTasks(MaxTasks + 1), "more than 64 tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.data))
			if err == nil {
				t.Fatal("got nil error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code() != CodeInvalidData || !errors.Is(err, ErrInvalidData) {
				t.Errorf("got %#v, want an *Error with code %s", err, CodeInvalidData)
			}
		})
	}
}

func manyTasks(n int) string {
	var b strings.Builder
	b.WriteString(`{"tasks":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"t` + strings.Repeat("x", i) + `":{"operation":"import/url","url":"u"}`)
	}
	b.WriteString(`}}`)
	return b.String()
}

func TestAccessors(t *testing.T) {
	j := mustDecode(t, `{"tasks":{"c":{"operation":"convert","s":"x\u00e9","b":false,"i":800,"f":1.5,"fi":800.0,"e":1e3,"neg":-3,"big":1e30,"sn":"800","n":null}}}`)
	c := j.Task("c")
	str := func(k string) any { v, ok := c.String(k); return [2]any{v, ok} }
	boo := func(k string) any { v, ok := c.Bool(k); return [2]any{v, ok} }
	in := func(k string) any { v, ok := c.Int(k); return [2]any{v, ok} }
	flo := func(k string) any { v, ok := c.Float(k); return [2]any{v, ok} }
	tests := []struct {
		name string
		got  any
		want [2]any
	}{
		{"String", str("s"), [2]any{"x\u00e9", true}},
		{"String of number", str("i"), [2]any{"", false}},
		{"String absent", str("nope"), [2]any{"", false}},
		{"String of null (dropped)", str("n"), [2]any{"", false}},
		{"Bool false", boo("b"), [2]any{false, true}},
		{"Bool of string", boo("s"), [2]any{false, false}},
		{"Int", in("i"), [2]any{int64(800), true}},
		{"Int of 800.0", in("fi"), [2]any{int64(800), true}},
		{"Int of 1e3", in("e"), [2]any{int64(1000), true}},
		{"Int negative", in("neg"), [2]any{int64(-3), true}},
		{"Int of 1.5", in("f"), [2]any{int64(0), false}},
		{"Int of 1e30", in("big"), [2]any{int64(0), false}},
		{"Int of string", in("sn"), [2]any{int64(0), false}},
		{"Float", flo("f"), [2]any{1.5, true}},
		{"Float of string", flo("sn"), [2]any{0.0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if c.Has("n") || !c.Has("s") || c.Has("operation") {
		t.Error("Has: null must be absent, operation lives in Task.Operation")
	}
}
