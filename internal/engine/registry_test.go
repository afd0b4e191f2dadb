package engine

import (
	"context"
	"errors"
	"slices"
	"testing"
)

type fakeEngine struct {
	name, version string
	convs         []Conversion
	started       bool
	closed        *[]string
}

func (f *fakeEngine) Name() string              { return f.name }
func (f *fakeEngine) Version() string           { return f.version }
func (f *fakeEngine) Conversions() []Conversion { return f.convs }
func (f *fakeEngine) Run(context.Context, Request) (Result, error) {
	return Result{}, nil
}
func (f *fakeEngine) Start(context.Context) error { f.started = true; return nil }
func (f *fakeEngine) Close() error {
	*f.closed = append(*f.closed, f.name)
	return nil
}

func newTestRegistry(closed *[]string) *Registry {
	r := NewRegistry()
	r.RegisterUnavailable("LibreOffice", "libreoffice-writer-nogui", []Conversion{
		{Operation: "convert", Input: "docx", Output: "pdf"},
		{Operation: "convert", Input: "png", Output: "pdf"},
	})
	r.Register(&fakeEngine{name: "imagego", version: "1", closed: closed, convs: []Conversion{
		{Operation: "convert", Input: "PNG", Output: "jpeg"},
		{Operation: "optimize", Input: "png", Output: "png"},
	}})
	r.Register(&fakeEngine{name: "vips", version: "8.14", closed: closed, convs: []Conversion{
		{Operation: "convert", Input: "png", Output: "jpg"},
		{Operation: "convert", Input: "png", Output: "pdf"},
	}})
	r.Register(&fakeEngine{name: "archive", version: "1", closed: closed, convs: []Conversion{
		{Operation: "archive", Input: AnyFormat, Output: "zip"},
	}})
	return r
}

func TestLookup(t *testing.T) {
	r := newTestRegistry(new([]string))
	tests := []struct {
		name        string
		engine      string
		op, in, out string
		wantEngine  string
		wantCode    string
		wantMessage string
	}{
		{name: "first registered wins", op: "convert", in: "png", out: "jpg", wantEngine: "imagego"},
		{name: "aliases and case", op: "Convert", in: ".PNG", out: "JPEG", wantEngine: "imagego"},
		{name: "engine option picks", engine: "vips", op: "convert", in: "png", out: "jpg", wantEngine: "vips"},
		{name: "installed beats missing", op: "convert", in: "png", out: "pdf", wantEngine: "vips"},
		{name: "empty output means same format", op: "optimize", in: "png", wantEngine: "imagego"},
		{name: "wildcard input", op: "archive", in: "docx", out: "zip", wantEngine: "archive"},
		{
			name: "missing engine names its package", op: "convert", in: "docx", out: "pdf",
			wantCode:    CodeUnsupportedConversion,
			wantMessage: "LibreOffice is not installed (Debian package libreoffice-writer-nogui)",
		},
		{
			name: "unknown pair names the formats", op: "convert", in: "docx", out: "epub",
			wantCode: CodeUnsupportedConversion, wantMessage: "no engine converts docx to epub in this installation",
		},
		{
			name: "unknown operation", op: "optimize", in: "gif", out: "gif",
			wantCode: CodeUnsupportedConversion, wantMessage: "no engine can optimize gif in this installation",
		},
		{
			name: "engine option that cannot", engine: "vips", op: "optimize", in: "png", out: "png",
			wantCode: CodeUnsupportedConversion, wantMessage: "engine vips can optimize png in this installation",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := r.LookupNamed(tt.engine, tt.op, tt.in, tt.out)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got error %v, want engine %s", err, tt.wantEngine)
				}
				if e.Name() != tt.wantEngine {
					t.Errorf("got engine %s, want %s", e.Name(), tt.wantEngine)
				}
				return
			}
			var ee *Error
			if !errors.As(err, &ee) {
				t.Fatalf("got %v, want *Error", err)
			}
			if ee.Code() != tt.wantCode || ee.Message() != tt.wantMessage {
				t.Errorf("got %s %q, want %s %q", ee.Code(), ee.Message(), tt.wantCode, tt.wantMessage)
			}
		})
	}
}

func TestFormatsSortedWithEngineAndVersion(t *testing.T) {
	got := newTestRegistry(new([]string)).Formats()
	want := []Conversion{
		{"archive", "*", "zip", "archive", "1"},
		{"convert", "png", "jpg", "imagego", "1"},
		{"convert", "png", "jpg", "vips", "8.14"},
		{"convert", "png", "pdf", "vips", "8.14"},
		{"optimize", "png", "png", "imagego", "1"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestMissing(t *testing.T) {
	got := newTestRegistry(new([]string)).Missing()
	want := []Missing{{Engine: "LibreOffice", Package: "libreoffice-writer-nogui"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStartAndClose(t *testing.T) {
	var closed []string
	r := newTestRegistry(&closed)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"imagego", "vips"} {
		e, _ := r.LookupNamed(name, "convert", "png", "jpg")
		if !e.(*fakeEngine).started {
			t.Errorf("engine %s not started", name)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"archive", "vips", "imagego"}; !slices.Equal(closed, want) {
		t.Errorf("got close order %v, want %v", closed, want)
	}
}

// builtInEngine is a fakeEngine that needs no outside program.
type builtInEngine struct{ fakeEngine }

func (*builtInEngine) BuiltIn() {}

// newNeedsRegistry is shaped like the gateway's: external engines first,
// one of them missing, then the built-in ones.
func newNeedsRegistry() *Registry {
	r := NewRegistry()
	r.RegisterUnavailable("chromium", "chromium", []Conversion{
		{Operation: "convert", Input: "html", Output: "pdf"},
		{Operation: "convert", Input: "html", Output: "png"},
		{Operation: "capture-website", Input: "website", Output: "pdf"},
	})
	r.Register(&fakeEngine{name: "libreoffice", convs: []Conversion{
		{Operation: "convert", Input: "docx", Output: "pdf"},
		{Operation: "convert", Input: "html", Output: "pdf"},
		{Operation: "convert", Input: "odt", Output: "docx"},
	}})
	r.Register(&fakeEngine{name: "ffmpeg", convs: []Conversion{
		{Operation: "convert", Input: "mp4", Output: "webm"},
		{Operation: "convert", Input: "mp4", Output: "gif"},
		{Operation: "thumbnail", Input: "mp4", Output: "png"},
	}})
	r.Register(&fakeEngine{name: "libvips", convs: []Conversion{
		{Operation: "convert", Input: "png", Output: "webp"},
		{Operation: "convert", Input: "png", Output: "jpg"},
		{Operation: "thumbnail", Input: "png", Output: "png"},
		{Operation: "optimize", Input: "webp", Output: "webp"},
	}})
	r.Register(&builtInEngine{fakeEngine{name: "imagego", convs: []Conversion{
		{Operation: "convert", Input: "png", Output: "jpg"},
		{Operation: "convert", Input: "png", Output: "gif"},
		{Operation: "thumbnail", Input: "png", Output: "png"},
		{Operation: "optimize", Input: "png", Output: "png"},
	}}})
	r.Register(&builtInEngine{fakeEngine{name: "archive", convs: []Conversion{
		{Operation: "archive", Input: AnyFormat, Output: "zip"},
	}}})
	return r
}

func TestFamilies(t *testing.T) {
	got := newNeedsRegistry().Families()
	// chromium is missing; imagego and archive are built in.
	if want := []string{"ffmpeg", "libreoffice", "libvips"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := NewRegistry().Families(); len(got) != 0 {
		t.Errorf("empty registry: got %q", got)
	}
}

func TestNeed(t *testing.T) {
	r := newNeedsRegistry()
	tests := []struct {
		name        string
		engine      string
		op, in, out string
		want        string
	}{
		{name: "first registered, though missing here", op: "convert", in: "html", out: "pdf", want: "chromium"},
		{name: "aliases and case", op: " Convert", in: ".HTM", out: "PDF", want: "chromium"},
		{name: "installed external", op: "convert", in: "docx", out: "pdf", want: "libreoffice"},
		{name: "video", op: "convert", in: "mp4", out: "webm", want: "ffmpeg"},
		{name: "video thumbnail", op: "thumbnail", in: "mp4", out: "png", want: "ffmpeg"},
		{name: "built-in can, though an external is preferred", op: "convert", in: "png", out: "jpg", want: ""},
		{name: "only the external can", op: "convert", in: "png", out: "webp", want: "libvips"},
		{name: "empty output keeps the format", op: "optimize", in: "webp", want: "libvips"},
		{name: "empty output, built-in", op: "optimize", in: "png", want: ""},
		{name: "wildcard input of a built-in", op: "archive", in: "docx", out: "zip", want: ""},
		{name: "nobody can: fails everywhere", op: "convert", in: "docx", out: "epub", want: ""},
		{name: "unknown operation", op: "watermark", in: "pdf", out: "pdf", want: ""},
		{name: "engine option picks", engine: "libreoffice", op: "convert", in: "html", out: "pdf", want: "libreoffice"},
		{name: "engine option, any case", engine: "LibreOffice", op: "convert", in: "html", out: "pdf", want: "libreoffice"},
		{name: "engine option, built-in", engine: "imagego", op: "convert", in: "png", out: "jpg", want: ""},
		{name: "engine option, external though a built-in can", engine: "libvips", op: "convert", in: "png", out: "jpg", want: "libvips"},
		{name: "engine option that cannot", engine: "ffmpeg", op: "convert", in: "docx", out: "pdf", want: ""},
		// An input format not known yet.
		{name: "unknown input, one engine", op: "convert", out: "webm", want: "ffmpeg"},
		{name: "unknown input, one engine, missing here", op: "capture-website", out: "pdf", want: "chromium"},
		{name: "unknown input, two engines", op: "convert", out: "pdf", want: ""},
		{name: "unknown input, a built-in among them", op: "thumbnail", out: "png", want: ""},
		{name: "unknown input, wildcard", op: "archive", out: "zip", want: ""},
		{name: "unknown input, nobody", op: "convert", out: "epub", want: ""},
		{name: "unknown input and output, built-in among them", op: "optimize", want: ""},
		{name: "unknown input, engine option", engine: "ffmpeg", op: "convert", out: "gif", want: "ffmpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.NeedNamed(tt.engine, tt.op, tt.in, tt.out)
			if got != tt.want {
				t.Errorf("NeedNamed(%q, %q, %q, %q) = %q, want %q", tt.engine, tt.op, tt.in, tt.out, got, tt.want)
			}
			if tt.engine == "" {
				if got := r.Need(tt.op, tt.in, tt.out); got != tt.want {
					t.Errorf("Need(%q, %q, %q) = %q, want %q", tt.op, tt.in, tt.out, got, tt.want)
				}
			}
		})
	}
}

// An engine known twice (say, registered as missing and then found) is
// still one engine when the input format is unknown.
func TestNeedSameEngineTwice(t *testing.T) {
	r := NewRegistry()
	r.RegisterUnavailable("ffmpeg", "ffmpeg", []Conversion{{Operation: "convert", Input: "mp4", Output: "webm"}})
	r.Register(&fakeEngine{name: "ffmpeg", convs: []Conversion{{Operation: "convert", Input: "mkv", Output: "webm"}}})
	if got := r.Need("convert", "", "webm"); got != "ffmpeg" {
		t.Errorf("got %q, want ffmpeg", got)
	}
}

// A need is always a family of some worker: a registry with every engine
// installed announces every name Need can answer.
func TestNeedIsAFamily(t *testing.T) {
	r := newNeedsRegistry()
	full := NewRegistry()
	full.Register(&fakeEngine{name: "chromium"})
	for _, f := range r.Families() {
		full.Register(&fakeEngine{name: f})
	}
	fams := full.Families()
	for _, c := range []Conversion{
		{Operation: "convert", Input: "html", Output: "pdf"},
		{Operation: "convert", Input: "png", Output: "webp"},
		{Operation: "thumbnail", Input: "mp4", Output: "png"},
		{Operation: "capture-website", Input: "website", Output: "pdf"},
	} {
		if need := r.Need(c.Operation, c.Input, c.Output); !slices.Contains(fams, need) {
			t.Errorf("%v needs %q, not among %q", c, need, fams)
		}
	}
}

func TestMergeFormats(t *testing.T) {
	a := []Conversion{
		{"convert", "docx", "pdf", "libreoffice", "7.5"},
		{"convert", "html", "pdf", "chromium", "120"},
		{"convert", "html", "pdf", "libreoffice", "7.5"},
		{"convert", "png", "jpg", "imagego", "go1"},
	}
	b := []Conversion{
		{"archive", "*", "zip", "archive", "go1"},
		{"convert", "html", "pdf", "libreoffice", "7.6"}, // another version: kept once
		{"convert", "png", "jpg", "libvips", "8.14"},
		{"convert", "png", "jpg", "imagego", "go1"},
		{"thumbnail", "mp4", "png", "ffmpeg", "6"},
	}
	got := MergeFormats(a, nil, b)
	want := []Conversion{
		{"archive", "*", "zip", "archive", "go1"},
		{"convert", "docx", "pdf", "libreoffice", "7.5"},
		{"convert", "html", "pdf", "chromium", "120"},
		{"convert", "html", "pdf", "libreoffice", "7.5"},
		{"convert", "png", "jpg", "imagego", "go1"},
		{"convert", "png", "jpg", "libvips", "8.14"},
		{"thumbnail", "mp4", "png", "ffmpeg", "6"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if a[0].Engine != "libreoffice" || b[0].Operation != "archive" {
		t.Error("MergeFormats changed its arguments")
	}
	if got := MergeFormats(); len(got) != 0 {
		t.Errorf("no lists: got %v", got)
	}
	// One registry's Formats come back unchanged.
	formats := newTestRegistry(new([]string)).Formats()
	if got := MergeFormats(formats, formats); !slices.Equal(got, formats) {
		t.Errorf("a list merged with itself:\ngot  %v\nwant %v", got, formats)
	}
}
