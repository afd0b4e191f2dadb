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
