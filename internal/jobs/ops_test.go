package jobs

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/fetch"
)

// importJob imports url and converts and exports it, so the tests can see
// the failure travel down the graph.
func importJob(u string) string {
	return `{"tasks":{
		"in":{"operation":"import/url","url":` + js(u) + `},
		"c":{"operation":"convert","input":"in","output_format":"jpg"},
		"out":{"operation":"export/url","input":"c"}}}`
}

func TestImportURLRefusesPrivateAddresses(t *testing.T) {
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secret from loopback"))
	}))
	defer local.Close()
	lu, _ := url.Parse(local.URL)
	port := lu.Port()
	redirector := func(to string) *httptest.Server {
		s := httptest.NewServer(http.RedirectHandler(to, http.StatusFound))
		t.Cleanup(s.Close)
		return s
	}
	hop := func(s *httptest.Server) string { u, _ := url.Parse(s.URL); return u.Hostname() }
	toMeta := redirector("http://169.254.169.254/latest/meta-data/")
	toLocal := redirector("http://localhost:" + port + "/")

	tests := []struct {
		name   string
		url    string
		policy fetch.Policy
	}{
		{"loopback v4", "http://127.0.0.1:" + port + "/", fetch.Policy{}},
		{"loopback v6", "http://[::1]:" + port + "/", fetch.Policy{}},
		{"metadata", "http://169.254.169.254/latest/meta-data/", fetch.Policy{}},
		{"localhost", "http://localhost:" + port + "/", fetch.Policy{}},
		// The first hop is let in by name; the redirect target is judged
		// on its own.
		{"redirect to metadata", toMeta.URL + "/", fetch.Policy{AllowHosts: []string{hop(toMeta)}}},
		{"redirect to localhost", toLocal.URL + "/", fetch.Policy{AllowHosts: []string{hop(toLocal)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{policy: tt.policy})
			s := h.run(t, importJob(tt.url))
			in := taskByName(t, s, "in")
			if in.Status != StatusError || code(in) != string(fetch.CodeForbiddenAddress) {
				t.Fatalf("import: %s %s %v", in.Status, code(in), in.Message)
			}
			if strings.Contains(*in.Message, "127.0.0.1") && !strings.Contains(tt.url, "127.0.0.1") {
				t.Errorf("message reveals a resolved address: %q", *in.Message)
			}
			for _, name := range []string{"c", "out"} {
				if ts := taskByName(t, s, name); ts.Status != StatusError || code(ts) != CodeInputTaskFailed {
					t.Errorf("%s: %s %s", name, ts.Status, code(ts))
				}
			}
			if !s.Failed() || s.FailureHTTPStatus() != http.StatusUnprocessableEntity {
				t.Errorf("job %s, FailureHTTPStatus %d", s.Status, s.FailureHTTPStatus())
			}
			if _, ok := s.RedirectURL(); ok {
				t.Errorf("a failed job has a redirect URL")
			}
			h.checkWorkDirEmpty(t)
			if got := h.jobsMetric(t, "export/url", "input_failed"); got != 1 {
				t.Errorf("gateway_jobs_total{export/url,input_failed} = %v, want 1", got)
			}
		})
	}
}

func TestTaskErrors(t *testing.T) {
	png := b64(pngBytes(t, 8, 8))
	tests := []struct {
		name     string
		job      string
		task     string
		code     string
		contains []string
	}{
		{"unsupported operation", `{"tasks":{
			"in":{"operation":"import/raw","file":"x","filename":"a.png"},
			"w":{"operation":"watermark","input":"in","text":"hi"},
			"out":{"operation":"export/url","input":"w"}}}`, "w", CodeUnsupportedOperation, []string{`"watermark"`, "not supported"}},
		{"import/upload", `{"tasks":{
			"in":{"operation":"import/upload"},
			"out":{"operation":"export/url","input":"in"}}}`, "in", CodeUnsupportedOperation, []string{`"import/upload"`}},
		{"unsupported pair", `{"tasks":{
			"in":{"operation":"import/base64","file":` + js(png) + `,"filename":"a.png"},
			"c":{"operation":"convert","input":"in","output_format":"docx"},
			"out":{"operation":"export/url","input":"c"}}}`, "c", CodeUnsupportedConv, []string{"png", "docx"}},
		{"input_format overrides the name", `{"tasks":{
			"in":{"operation":"import/base64","file":` + js(png) + `,"filename":"a.png"},
			"c":{"operation":"convert","input":"in","input_format":"mp4","output_format":"jpg"},
			"out":{"operation":"export/url","input":"c"}}}`, "c", CodeUnsupportedConv, []string{"mp4", "jpg"}},
		{"no extension", `{"tasks":{
			"in":{"operation":"import/raw","file":"x","filename":"noext"},
			"c":{"operation":"convert","input":"in","output_format":"jpg"},
			"out":{"operation":"export/url","input":"c"}}}`, "c", CodeInvalidInput, []string{"input_format"}},
		{"bad base64", `{"tasks":{
			"in":{"operation":"import/base64","file":"@@@","filename":"a.png"},
			"out":{"operation":"export/url","input":"in"}}}`, "in", CodeInvalidInput, []string{"base64"}},
		{"bad image", `{"tasks":{
			"in":{"operation":"import/raw","file":"not an image","filename":"a.png"},
			"c":{"operation":"convert","input":"in","output_format":"jpg"},
			"out":{"operation":"export/url","input":"c"}}}`, "c", CodeInvalidInput, nil},
		{"capture-website without a browser", `{"tasks":{
			"w":{"operation":"capture-website","url":"https://example.com/","output_format":"pdf"},
			"out":{"operation":"export/url","input":"w"}}}`, "w", CodeUnsupportedConv, []string{"capture-website", "pdf"}},
	}
	h := newHarness(t, harnessOpts{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := h.run(t, tt.job)
			ts := taskByName(t, s, tt.task)
			if ts.Status != StatusError || code(ts) != tt.code {
				t.Fatalf("task %s: %s %s %v, want error %s", tt.task, ts.Status, code(ts), ts.Message, tt.code)
			}
			for _, want := range tt.contains {
				if !strings.Contains(*ts.Message, want) {
					t.Errorf("message %q does not mention %q", *ts.Message, want)
				}
			}
			if code(taskByName(t, s, "out")) != CodeInputTaskFailed {
				t.Errorf("export: %s", code(taskByName(t, s, "out")))
			}
			if got := s.FailureHTTPStatus(); got != http.StatusUnprocessableEntity {
				t.Errorf("FailureHTTPStatus = %d, want 422", got)
			}
		})
	}
}

func TestInputFormatOverride(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	s := h.run(t, `{"tasks":{
		"in":{"operation":"import/base64","file":`+js(b64(pngBytes(t, 8, 8)))+`,"filename":"upload.bin"},
		"c":{"operation":"convert","input":"in","input_format":"png","output_format":"gif"},
		"out":{"operation":"export/url","input":"c"}}}`)
	if s.Failed() {
		t.Fatalf("%+v", s)
	}
	if f := taskByName(t, s, "out").Result.Files[0]; f.Filename != "upload.gif" {
		t.Errorf("output name %q", f.Filename)
	}
}

// readArchive lists name: content of a zip, tar or tar.gz.
func readArchive(t *testing.T, format string, data []byte) map[string]string {
	t.Helper()
	got := map[string]string{}
	if format == "zip" {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			got[f.Name] = string(b)
		}
		return got
	}
	var r io.Reader = bytes.NewReader(data)
	if format == "tar.gz" {
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[hd.Name] = string(b)
	}
	return got
}

func keys(m map[string]string) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, k+"="+v)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func TestArchive(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, format := range []string{"zip", "tar", "tar.gz"} {
		t.Run(format, func(t *testing.T) {
			s := h.run(t, `{"tasks":{
				"a":{"operation":"import/raw","file":"alpha","filename":"a.txt"},
				"b":{"operation":"import/base64","file":`+js(b64([]byte("beta")))+`,"filename":"../b.txt"},
				"z":{"operation":"archive","input":["a","b"],"output_format":`+js(format)+`,"filename":`+js("bundle."+format)+`},
				"out":{"operation":"export/url","input":"z"}}}`)
			if s.Failed() {
				t.Fatalf("%+v", s)
			}
			if e := taskByName(t, s, "z").Engine; e == nil || *e != "archive" {
				t.Errorf("engine %v", e)
			}
			u, _ := s.RedirectURL()
			resp, body := get(t, u)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %d", resp.StatusCode)
			}
			if got := keys(readArchive(t, format, body)); got != "a.txt=alpha,b.txt=beta" {
				t.Errorf("archive holds %s", got)
			}
			if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="bundle.`+format+`"` {
				t.Errorf("Content-Disposition %q", cd)
			}
		})
	}
}

func TestExportMultipleFiles(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	job := func(extra string) string {
		return `{"tasks":{
			"a":{"operation":"import/raw","file":"alpha","filename":"a.txt"},
			"b":{"operation":"import/raw","file":"beta","filename":"b.txt"},
			"out":{"operation":"export/url","input":["a","b"]` + extra + `}}}`
	}
	t.Run("separate", func(t *testing.T) {
		s := h.run(t, job(`,"inline":true`))
		files := taskByName(t, s, "out").Result.Files
		if len(files) != 2 || files[0].Filename != "a.txt" || files[1].Filename != "b.txt" {
			t.Fatalf("files %+v", files)
		}
		u, _ := s.RedirectURL()
		if u != files[0].URL {
			t.Errorf("redirect %q is not the first file", u)
		}
		resp, body := get(t, u)
		if body != nil && string(body) != "alpha" || resp.Header.Get("Content-Disposition") != "inline" {
			t.Errorf("first file %q, disposition %q", body, resp.Header.Get("Content-Disposition"))
		}
	})
	t.Run("archived", func(t *testing.T) {
		s := h.run(t, job(`,"archive_multiple_files":true`))
		files := taskByName(t, s, "out").Result.Files
		if len(files) != 1 || files[0].Filename != "archive.zip" {
			t.Fatalf("files %+v", files)
		}
		_, body := get(t, files[0].URL)
		if got := keys(readArchive(t, "zip", body)); got != "a.txt=alpha,b.txt=beta" {
			t.Errorf("zip holds %s", got)
		}
	})
}

func TestImportURLFileName(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cd") != "" {
			w.Header().Set("Content-Disposition", `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt`)
		}
		w.Write([]byte("body"))
	}))
	defer origin.Close()
	h := newHarness(t, harnessOpts{policy: fetch.Policy{AllowHosts: []string{"127.0.0.1"}}})
	tests := []struct{ name, url, filename, want string }{
		{"task filename wins", origin.URL + "/path/url.txt?cd=1", "../chosen.txt", "chosen.txt"},
		{"Content-Disposition", origin.URL + "/path/url.txt?cd=1", "", "résumé.txt"},
		{"URL path", origin.URL + "/path/url%20name.txt", "", "url name.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := ""
			if tt.filename != "" {
				fn = `,"filename":` + js(tt.filename)
			}
			s := h.run(t, `{"tasks":{"in":{"operation":"import/url","url":`+js(tt.url)+fn+`},
				"out":{"operation":"export/url","input":"in"}}}`)
			if s.Failed() {
				t.Fatalf("%+v", s)
			}
			if got := taskByName(t, s, "in").Result.Files[0].Filename; got != tt.want {
				t.Errorf("file name %q, want %q", got, tt.want)
			}
		})
	}
}
