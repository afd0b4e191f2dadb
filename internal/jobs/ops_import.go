package jobs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// operation runs t by its operation. Operations the API has but this
// gateway does not run fail the task with UNSUPPORTED_OPERATION.
func (s *Service) operation(ctx context.Context, j *Job, t *jobspec.Task, inputs []engine.File, dir string) (taskOutput, error) {
	switch t.Operation {
	case jobspec.OpImportURL:
		return s.importURL(ctx, t, dir)
	case jobspec.OpImportBase64, jobspec.OpImportRaw:
		return importInline(t, dir)
	case jobspec.OpImportS3:
		return s.importS3(ctx, j, t, dir)
	case jobspec.OpConvert, jobspec.OpThumbnail, jobspec.OpOptimize, jobspec.OpMerge,
		jobspec.OpArchive, jobspec.OpCaptureWebsite:
		return s.convert(ctx, j, t, inputs, dir)
	case jobspec.OpExportURL:
		return s.exportURL(ctx, t, inputs, dir)
	case jobspec.OpExportS3:
		return s.exportS3(ctx, j, t, inputs)
	}
	return taskOutput{}, failf(CodeUnsupportedOperation,
		"operation "+quote(t.Operation)+" is not supported by this gateway", nil)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// importURL fetches the task's url under the SSRF policy. The file is named
// by the task's filename, else by the response, else by the URL.
func (s *Service) importURL(ctx context.Context, t *jobspec.Task, dir string) (taskOutput, error) {
	if s.deps.Fetch == nil {
		return taskOutput{}, failf(CodeInternal, "importing URLs is not configured", nil)
	}
	rawURL, _ := t.String("url")
	headers := map[string]string{}
	if raw := t.Raw("headers"); raw != nil {
		if err := json.Unmarshal(raw, &headers); err != nil {
			return taskOutput{}, failf(CodeInvalidInput, `field "headers" must be an object of strings`, err)
		}
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the download", err)
	}
	meta, err := s.deps.Fetch.Fetch(ctx, rawURL, headers, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = failf(CodeInternal, "the gateway could not store the download", cerr)
	}
	if err != nil {
		return taskOutput{}, err
	}
	name := meta.FileName
	if fn, ok := t.String("filename"); ok && fn != "" {
		name = fetch.SanitizeFileName(fn)
	}
	return placeFile(tmp.Name(), dir, name)
}

// importInline writes import/base64 and import/raw content.
func importInline(t *jobspec.Task, dir string) (taskOutput, error) {
	content, _ := t.String("file")
	filename, _ := t.String("filename")
	data := []byte(content)
	if t.Operation == jobspec.OpImportBase64 {
		var err error
		if data, err = decodeBase64(content); err != nil {
			return taskOutput{}, failf(CodeInvalidInput, `field "file" is not valid base64`, err)
		}
	}
	tmp, err := os.CreateTemp(dir, ".import-*")
	if err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the file", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the file", err)
	}
	return placeFile(tmp.Name(), dir, fetch.SanitizeFileName(filename))
}

// decodeBase64 accepts the standard and URL-safe alphabets, with or
// without padding, and line breaks, as clients send all of them.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	if i := strings.IndexByte(s, ','); i >= 0 && strings.HasPrefix(s, "data:") {
		s = s[i+1:] // a data: URL, as browsers produce
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// placeFile renames a finished temporary file to its user-facing name.
func placeFile(tmp, dir, name string) (taskOutput, error) {
	name = engine.SanitizeName(name, "file")
	f, file, err := engine.CreateOutput(dir, name)
	if err != nil {
		return taskOutput{}, err
	}
	f.Close()
	if err := os.Rename(tmp, file.Path); err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the file", err)
	}
	st, err := os.Stat(file.Path)
	if err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the file", err)
	}
	return taskOutput{
		files:  []engine.File{file},
		result: []File{{Filename: file.Name, Size: st.Size()}},
	}, nil
}
