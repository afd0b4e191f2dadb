package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizeFormatAndFormatOf(t *testing.T) {
	tests := []struct{ in, wantNorm, wantOf string }{
		{"JPEG", "jpg", ""},
		{"photo.JPEG", "photo.jpeg", "jpg"},
		{".tif", "tiff", ""},
		{"scan.TIF", "scan.tif", "tiff"},
		{"backup.tar.gz", "backup.tar.gz", "tar.gz"},
		{"backup.tgz", "backup.tgz", "tar.gz"},
		{`C:\Users\me\report.DOCX`, `c:\users\me\report.docx`, "docx"},
		{"dir.v2/README", "dir.v2/readme", ""},
		{".profile", "profile", ""},
		{"noext", "noext", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeFormat(tt.in); got != tt.wantNorm {
				t.Errorf("NormalizeFormat: got %q, want %q", got, tt.wantNorm)
			}
			if got := FormatOf(tt.in); got != tt.wantOf {
				t.Errorf("FormatOf: got %q, want %q", got, tt.wantOf)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	var fromJSON Options
	if err := json.Unmarshal([]byte(`{"width": 400, "height": "300", "q": 2.5, "big": 1e20,
		"frac": 1.5, "flag": "true", "off": 0, "name": "a.png", "num": 7, "nul": null, "bad": [1]}`), &fromJSON); err != nil {
		t.Fatal(err)
	}
	raw := Options{"width": json.RawMessage(`400`), "flag": json.RawMessage(`true`)}
	tests := []struct {
		name    string
		get     func() (any, error)
		want    any
		wantErr bool
	}{
		{"int from number", func() (any, error) { return fromJSON.Int("width") }, 400, false},
		{"int from string", func() (any, error) { return fromJSON.Int("height") }, 300, false},
		{"int missing is zero", func() (any, error) { return fromJSON.Int("absent") }, 0, false},
		{"int null is zero", func() (any, error) { return fromJSON.Int("nul") }, 0, false},
		{"int refuses fraction", func() (any, error) { return fromJSON.Int("frac") }, 0, true},
		{"int refuses overflow", func() (any, error) { return fromJSON.Int("big") }, 0, true},
		{"int refuses array", func() (any, error) { return fromJSON.Int("bad") }, 0, true},
		{"int from raw JSON", func() (any, error) { return raw.Int("width") }, 400, false},
		{"float", func() (any, error) { return fromJSON.Float("q") }, 2.5, false},
		{"bool from string", func() (any, error) { return fromJSON.Bool("flag") }, true, false},
		{"bool from zero", func() (any, error) { return fromJSON.Bool("off") }, false, false},
		{"bool refuses 7", func() (any, error) { return fromJSON.Bool("num") }, false, true},
		{"bool from raw JSON", func() (any, error) { return raw.Bool("flag") }, true, false},
		{"string", func() (any, error) { return fromJSON.String("name") }, "a.png", false},
		{"string refuses number", func() (any, error) { return fromJSON.String("num") }, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if tt.wantErr {
				if CodeOf(err) != CodeInvalidInput {
					t.Fatalf("got %v, want an INVALID_INPUT error", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cause := errors.New("open /tmp/job/secret: no such file")
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
		wantStatus  int
	}{
		{"coded", Errorf(CodeTooLarge, "too big: %d", 5), CodeTooLarge, "too big: 5", 413},
		{"wrapped in fmt", fmt.Errorf("run: %w", Wrap(CodeInvalidInput, cause, "bad file")), CodeInvalidInput, "bad file", 422},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), CodeTimeout, "the conversion took too long", 504},
		{"plain error hides its text", cause, CodeConversionFailed, "the conversion failed", 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := AsError(tt.err)
			if e.Code() != tt.wantCode || e.Message() != tt.wantMessage || e.Status() != tt.wantStatus {
				t.Errorf("got %s %q %d, want %s %q %d", e.Code(), e.Message(), e.Status(), tt.wantCode, tt.wantMessage, tt.wantStatus)
			}
		})
	}
	if got := Wrap(CodeInvalidInput, cause, "bad file").Error(); !strings.Contains(got, "secret") {
		t.Errorf("got Error() %q, want the cause kept for logs", got)
	}
	if AsError(nil) != nil || CodeOf(nil) != "" {
		t.Error("got a non-nil error for nil")
	}
}

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\boot.ini`, "boot.ini"},
		{"/abs/name.png", "name.png"},
		{"..", "fallback"},
		{"", "fallback"},
		{"a\x00b\nc.txt", "abc.txt"},
		{"C:evil.txt", "Cevil.txt"},
		{"résumé.pdf", "résumé.pdf"},
		{strings.Repeat("x", 300) + ".png", strings.Repeat("x", 196) + ".png"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SanitizeName(tt.in, "fallback"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCreateOutputNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.png"), []byte("input"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 2 {
		f, out, err := CreateOutput(dir, "a.png")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		got = append(got, out.Name)
	}
	if want := []string{"a (1).png", "a (2).png"}; got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %q, want %q", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.png")); string(b) != "input" {
		t.Errorf("got input %q, want it untouched", b)
	}
}

func TestReportClamps(t *testing.T) {
	var got []int
	r := Request{Progress: func(p int) { got = append(got, p) }}
	r.Report(-5)
	r.Report(50)
	r.Report(150)
	Request{}.Report(10) // nil Progress must not panic
	if want := []int{0, 50, 100}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
