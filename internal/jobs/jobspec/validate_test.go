package jobspec

import (
	"errors"
	"strings"
	"testing"
)

// job builds {"tasks":{...}} from task bodies written without braces.
func job(tasks ...string) string {
	var b strings.Builder
	b.WriteString(`{"tasks":{`)
	for i, t := range tasks {
		if i > 0 {
			b.WriteByte(',')
		}
		name, body, _ := strings.Cut(t, ":")
		b.WriteString(`"` + name + `":{` + body + `}`)
	}
	b.WriteString(`}}`)
	return b.String()
}

const (
	imp = `in:"operation":"import/url","url":"https://x/a.docx"`
	exp = `out:"operation":"export/url","input":"in"`
)

func TestValidateAccepts(t *testing.T) {
	tests := []struct{ name, data string }{
		{"import and export", job(imp, exp)},
		{"convert", job(imp, `c:"operation":"convert","input":"in","output_format":"pdf"`, `out:"operation":"export/url","input":"c"`)},
		{"merge two", job(imp, `in2:"operation":"import/base64","file":"eA==","filename":"b.pdf"`, `m:"operation":"merge","input":["in","in2"],"output_format":"pdf"`, `out:"operation":"export/url","input":"m"`)},
		{"merge same file twice", job(imp, `m:"operation":"merge","input":["in","in"],"output_format":"pdf"`, `out:"operation":"export/url","input":"m"`)},
		{"archive tar.gz", job(imp, `a:"operation":"archive","input":"in","output_format":"tar.gz"`, `out:"operation":"export/url","input":"a"`)},
		{"thumbnail fit", job(imp, `th:"operation":"thumbnail","input":"in","output_format":"png","fit":"crop","width":100`, `out:"operation":"export/url","input":"th"`)},
		{"capture website", job(`in:"operation":"capture-website","url":"https://x","output_format":"pdf"`, exp)},
		{"import raw", job(`in:"operation":"import/raw","file":"hello","filename":"a.txt"`, exp)},
		{"optimize", job(imp, `o:"operation":"optimize","input":"in"`, `out:"operation":"export/url","input":"o","inline":true,"archive_multiple_files":false`)},
		{"recognised, not supported", job(`in:"operation":"import/upload"`, `w:"operation":"watermark","input":"in"`, `out:"operation":"export/url","input":"w"`)},
		{"longest name", job(strings.Repeat("n", 128)+`:"operation":"import/url","url":"u"`, `out:"operation":"export/url","input":"`+strings.Repeat("n", 128)+`"`)},
		{"64 tasks", manyExports(MaxTasks)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(mustDecode(t, tt.data)); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"no tasks", `{"tasks":{}}`, "job has no tasks"},
		{"no tasks (PHP)", `{"tasks":[]}`, "job has no tasks"},
		{"no export", job(imp), "no export/url task"},
		{"bad name", job(`in put:"operation":"import/url","url":"u"`, exp), `task "in put": task names may contain only`},
		{"dotted name", job(`in.x:"operation":"import/url","url":"u"`, exp), `task "in.x"`},
		{"long name", job(strings.Repeat("n", 129)+`:"operation":"import/url","url":"u"`, exp), "1 to 128 characters"},
		{"empty name", job(`:"operation":"import/url","url":"u"`, exp), "1 to 128 characters"},
		{"unknown operation", job(imp, `c:"operation":"convrt","input":"in"`, exp), `task "c": unknown operation "convrt"`},
		{"import/url without url", job(`in:"operation":"import/url"`, exp), `task "in": import/url needs field "url"`},
		{"url not a string", job(`in:"operation":"import/url","url":1`, exp), `task "in": field "url" must be a string`},
		{"base64 without filename", job(`in:"operation":"import/base64","file":"eA=="`, exp), `needs field "filename"`},
		{"convert without output_format", job(imp, `c:"operation":"convert","input":"in"`, exp), `task "c": convert needs field "output_format"`},
		{"convert without input", job(imp, `c:"operation":"convert","output_format":"pdf"`, exp), `task "c": convert needs field "input"`},
		{"export without input", job(imp, `out:"operation":"export/url"`), `task "out": export/url needs field "input"`},
		{"merge one input", job(imp, `m:"operation":"merge","input":"in","output_format":"pdf"`, exp), "at least 2 input tasks, got 1"},
		{"merge to png", job(imp, `m:"operation":"merge","input":["in","in"],"output_format":"png"`, exp), `field "output_format" must be one of ["pdf"]`},
		{"archive to rar", job(imp, `a:"operation":"archive","input":"in","output_format":"rar"`, exp), `must be one of ["zip" "tar" "tar.gz"]`},
		{"thumbnail bad fit", job(imp, `th:"operation":"thumbnail","input":"in","output_format":"png","fit":"fill"`, exp), `field "fit"`},
		{"capture without url", job(`in:"operation":"capture-website","output_format":"pdf"`, exp), `needs field "url"`},
		{"inline not bool", job(imp, `out:"operation":"export/url","input":"in","inline":"yes"`), `field "inline" must be true or false`},
		{"unknown input", job(imp, `out:"operation":"export/url","input":"nope"`), `task "out": input "nope" names no task`},
		{"self input", job(imp, `out:"operation":"export/url","input":["in","out"]`), `task "out": input names the task itself`},
		{"cycle", job(imp, `a:"operation":"optimize","input":"b"`, `b:"operation":"optimize","input":"a"`, exp), `task "a": inputs form a cycle`},
		{"too many tasks", manyExports(MaxTasks + 1), "more than 64 tasks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Decode([]byte(tt.data))
			if err == nil {
				err = Validate(j)
			}
			if err == nil {
				t.Fatalf("got nil, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidData) {
				t.Errorf("got %#v, want errors.Is ErrInvalidData", err)
			}
		})
	}
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil); err == nil {
		t.Error("got nil for a nil job")
	}
}

// manyExports is one import and n-1 exports reading it.
func manyExports(n int) string {
	tasks := []string{imp}
	for i := 1; i < n; i++ {
		tasks = append(tasks, "out"+strings.Repeat("x", i)+`:"operation":"export/url","input":"in"`)
	}
	return job(tasks...)
}

func TestTopoOrder(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // stages separated by "|"
	}{
		{"chain", job(imp, `c:"operation":"convert","input":"in","output_format":"pdf"`, `out:"operation":"export/url","input":"c"`), "in|c|out"},
		{"written backwards", job(`out:"operation":"export/url","input":"c"`, `c:"operation":"convert","input":"in","output_format":"pdf"`, imp), "in|c|out"},
		{"independent imports run together", job(
			`b:"operation":"import/url","url":"u"`, imp,
			`m:"operation":"merge","input":["in","b"],"output_format":"pdf"`,
			`out:"operation":"export/url","input":"m"`,
			`raw:"operation":"export/url","input":"b"`), "b,in|m,raw|out"},
		{"stage keeps job order", job(`z:"operation":"import/url","url":"u"`, `y:"operation":"export/url","input":"z"`, `x:"operation":"export/url","input":"z"`), "z|y,x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stages, err := TopoOrder(mustDecode(t, tt.data))
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, s := range stages {
				parts = append(parts, names(s))
			}
			if got := strings.Join(parts, "|"); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	tests := []struct {
		op               string
		known, supported bool
	}{
		{"convert", true, true},
		{"export/url", true, true},
		{"capture-website", true, true},
		{"watermark", true, false},
		{"import/s3", true, true},
		{"export/s3", true, true},
		{"import/upload", true, false},
		{"export/upload", true, false},
		{"command", true, false},
		{"Convert", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			if got := Known(tt.op); got != tt.known {
				t.Errorf("Known: got %v, want %v", got, tt.known)
			}
			if got := Supported(tt.op); got != tt.supported {
				t.Errorf("Supported: got %v, want %v", got, tt.supported)
			}
		})
	}
}
