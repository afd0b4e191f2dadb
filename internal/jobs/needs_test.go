package jobs

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/archive"
	"github.com/signedgate/gateway/internal/engine/chrome"
	"github.com/signedgate/gateway/internal/engine/imagego"
	"github.com/signedgate/gateway/internal/engine/media"
	"github.com/signedgate/gateway/internal/engine/office"
	"github.com/signedgate/gateway/internal/engine/pdfengine"
	"github.com/signedgate/gateway/internal/engine/vips"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// needsCatalog knows the gateway's engines in its preference order, the
// external ones not installed, as an instance that runs none does.
func needsCatalog() *engine.Registry {
	reg := engine.NewRegistry()
	reg.RegisterUnavailable(chrome.Name, chrome.Package, chrome.Conversions())
	reg.RegisterUnavailable(office.Name, office.Package, office.Conversions())
	reg.RegisterUnavailable(media.Name, media.Package, media.Conversions())
	reg.RegisterUnavailable(pdfengine.Name, pdfengine.Package, pdfengine.Conversions())
	reg.RegisterUnavailable(vips.Name, vips.Package, vips.Conversions())
	reg.Register(imagego.New(imagego.Config{}))
	reg.Register(archive.Engine{})
	return reg
}

func TestNeeds(t *testing.T) {
	reg := needsCatalog()
	tests := []struct {
		name string
		job  string
		want []string
	}{
		{
			name: "html to pdf from import/raw",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"<p>hi</p>","filename":"page.html"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: []string{"chromium"},
		},
		{
			name: "docx to pdf from import/url",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://files.example.com/q3/Report%20Final.DOCX?sig=abc"},
				"pdf":{"operation":"convert","input":["in"],"output_format":"pdf"},
				"out":{"operation":"export/url","input":["pdf"]}}}`,
			want: []string{"libreoffice"},
		},
		{
			name: "import/url filename over the URL",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://example.com/download.php?id=7","filename":"slides.pptx"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: []string{"libreoffice"},
		},
		{
			name: "capture-website",
			job: `{"tasks":{
				"shot":{"operation":"capture-website","url":"https://example.com/","output_format":"png"},
				"out":{"operation":"export/url","input":"shot"}}}`,
			want: []string{"chromium"},
		},
		{
			name: "video thumbnail",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://cdn.example.com/clips/intro.mp4"},
				"thumb":{"operation":"thumbnail","input":"in","output_format":"jpg","width":320},
				"out":{"operation":"export/url","input":"thumb"}}}`,
			want: []string{"ffmpeg"},
		},
		{
			name: "png to webp needs libvips",
			job: `{"tasks":{
				"in":{"operation":"import/base64","file":"iVBORw0KGgo=","filename":"logo.png"},
				"webp":{"operation":"convert","input":"in","output_format":"webp"},
				"out":{"operation":"export/url","input":"webp"}}}`,
			want: []string{"libvips"},
		},
		{
			name: "png to jpg: the built-in engine does it",
			job: `{"tasks":{
				"in":{"operation":"import/base64","file":"iVBORw0KGgo=","filename":"logo.png"},
				"jpg":{"operation":"convert","input":"in","output_format":"jpeg"},
				"small":{"operation":"thumbnail","input":"in","output_format":"png","width":64},
				"out":{"operation":"export/url","input":"small"}}}`,
			want: nil,
		},
		{
			name: "two conversions, two families",
			job: `{"tasks":{
				"doc":{"operation":"import/url","url":"https://example.com/a.docx"},
				"vid":{"operation":"import/url","url":"https://example.com/b.mov"},
				"pdf":{"operation":"convert","input":"doc","output_format":"pdf"},
				"webm":{"operation":"convert","input":"vid","output_format":"webm"},
				"out":{"operation":"export/url","input":["pdf","webm"]}}}`,
			want: []string{"ffmpeg", "libreoffice"},
		},
		{
			name: "one convert of files in two formats",
			job: `{"tasks":{
				"a":{"operation":"import/raw","file":"x","filename":"a.docx"},
				"b":{"operation":"import/raw","file":"x","filename":"b.html"},
				"c":{"operation":"import/raw","file":"x","filename":"c.odt"},
				"pdf":{"operation":"convert","input":["a","b","c"],"output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: []string{"chromium", "libreoffice"},
		},
		{
			name: "a chain: the engine task's output format is the next one's input",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"<p>hi</p>","filename":"page.html"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"cover":{"operation":"import/url","url":"https://example.com/cover.pdf"},
				"book":{"operation":"merge","input":["cover","pdf"],"output_format":"pdf"},
				"zip":{"operation":"archive","input":["book","in"],"output_format":"zip"},
				"out":{"operation":"export/url","input":"zip"}}}`,
			want: []string{"chromium", "pdf"},
		},
		{
			name: "an engine task's filename names its output",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"x","filename":"notes.txt"},
				"html":{"operation":"convert","input":"in","output_format":"html","filename":"notes.htm"},
				"png":{"operation":"convert","input":"html","output_format":"png"},
				"out":{"operation":"export/url","input":"png"}}}`,
			want: []string{"chromium", "libreoffice"},
		},
		{
			// Only libvips thumbnails png to webp; ffmpeg does it of videos.
			name: "optimize keeps the format",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"x","filename":"photo.png"},
				"opt":{"operation":"optimize","input":"in"},
				"webp":{"operation":"thumbnail","input":"opt","output_format":"webp","width":200},
				"out":{"operation":"export/url","input":"webp"}}}`,
			want: []string{"libvips"},
		},
		{
			name: "unknown extension fails everywhere",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"x","filename":"data.xyz"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: nil,
		},
		{
			name: "input_format over the name",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"x","filename":"data.xyz"},
				"pdf":{"operation":"convert","input":"in","input_format":"DOCX","output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: []string{"libreoffice"},
		},
		{
			name: "the engine option picks the family",
			job: `{"tasks":{
				"in":{"operation":"import/raw","file":"<p>hi</p>","filename":"page.html"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf","engine":"libreoffice"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: []string{"libreoffice"},
		},
		{
			name: "URL without a name, output only one engine makes",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://example.com/media/"},
				"mp3":{"operation":"convert","input":"in","output_format":"mp3"},
				"out":{"operation":"export/url","input":"mp3"}}}`,
			want: []string{"ffmpeg"},
		},
		{
			name: "URL without a name, output several engines make",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://example.com/get?id=3"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: nil,
		},
		{
			name: "URL named like a script: the response names the file",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://example.com/stream.php?id=3"},
				"mp3":{"operation":"convert","input":"in","output_format":"mp3"},
				"out":{"operation":"export/url","input":"mp3"}}}`,
			want: []string{"ffmpeg"},
		},
		{
			name: "import/s3 key",
			job: `{"tasks":{
				"in":{"operation":"import/s3","bucket":"docs","region":"eu-west-1","key":"in/2024/budget.xlsx",
					"access_key_id":"AKIA","secret_access_key":"secret"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"out":{"operation":"export/s3","input":"pdf","bucket":"docs","region":"eu-west-1","key":"out/budget.pdf",
					"access_key_id":"AKIA","secret_access_key":"secret"},
				"link":{"operation":"export/url","input":"pdf"}}}`,
			want: []string{"libreoffice"},
		},
		{
			name: "import/s3 filename over the key",
			job: `{"tasks":{
				"in":{"operation":"import/s3","bucket":"docs","key":"blob-17","filename":"talk.mkv",
					"access_key_id":"AKIA","secret_access_key":"secret"},
				"thumb":{"operation":"thumbnail","input":"in","output_format":"png"},
				"out":{"operation":"export/url","input":"thumb"}}}`,
			want: []string{"ffmpeg"},
		},
		{
			name: "import/s3 key_prefix: formats unknown",
			job: `{"tasks":{
				"in":{"operation":"import/s3","bucket":"docs","key_prefix":"in/",
					"access_key_id":"AKIA","secret_access_key":"secret"},
				"pdf":{"operation":"convert","input":"in","output_format":"pdf"},
				"out":{"operation":"export/url","input":"pdf"}}}`,
			want: nil,
		},
		{
			name: "archive only",
			job: `{"tasks":{
				"a":{"operation":"import/url","url":"https://example.com/a.docx"},
				"b":{"operation":"import/url","url":"https://example.com/b.mp4"},
				"zip":{"operation":"archive","input":["a","b"],"output_format":"tar.gz"},
				"out":{"operation":"export/url","input":"zip"}}}`,
			want: nil,
		},
		{
			name: "no engine task",
			job: `{"tasks":{
				"in":{"operation":"import/url","url":"https://example.com/a.docx"},
				"out":{"operation":"export/url","input":"in"}}}`,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := jobspec.Decode([]byte(tt.job))
			if err != nil {
				t.Fatal(err)
			}
			if err := jobspec.Validate(spec); err != nil {
				t.Fatal(err)
			}
			got := Needs(reg, spec)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A job may name tasks that do not exist or form a cycle before it is
// validated; Needs still answers.
func TestNeedsUnvalidated(t *testing.T) {
	spec := &jobspec.Job{Tasks: []*jobspec.Task{
		{Name: "a", Operation: jobspec.OpConvert, Input: []string{"b"}, Fields: map[string]json.RawMessage{"output_format": json.RawMessage(`"webm"`)}},
		{Name: "b", Operation: jobspec.OpOptimize, Input: []string{"a", "ghost"}},
		{Name: "c", Operation: jobspec.OpOptimize, Input: []string{"d"}},
		{Name: "d", Operation: jobspec.OpOptimize, Input: []string{"c"}},
	}}
	if got, want := Needs(needsCatalog(), spec), []string{"ffmpeg"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
