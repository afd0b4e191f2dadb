package upload

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Limits on the non-file parts of a request. A data: URI travels as a field,
// so the "file" field may be as large as a base64-encoded file.
const (
	maxFieldBytes  = 64 << 10
	maxFieldsBytes = 1 << 20
	maxFields      = 1000
)

// body is a parsed upload request: every parameter, and the file part when
// one arrived (already staged on disk).
type body struct {
	values url.Values
	file   *staged
}

// readBody parses r in every form the SDKs send: multipart/form-data
// (streamed; the file part goes to disk, never to memory),
// application/x-www-form-urlencoded, or no Content-Type at all (read as
// urlencoded, as the Go SDK sends remote-URL uploads and destroy). Query
// parameters are merged in.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request) (*body, error) {
	b := &body{values: url.Values{}}
	for k, vs := range r.URL.Query() {
		b.values[k] = append(b.values[k], vs...)
	}
	ct := r.Header.Get("Content-Type")
	media := ""
	if ct != "" {
		var err error
		media, _, err = mime.ParseMediaType(ct)
		if err != nil {
			return nil, badRequest("Invalid Content-Type %q", ct)
		}
	}
	switch media {
	case "", "application/x-www-form-urlencoded":
		return b, s.readForm(w, r, b)
	case "multipart/form-data":
		if err := s.readMultipart(r, b); err != nil {
			b.discard()
			return nil, err
		}
		return b, nil
	default:
		return nil, badRequest("Unsupported Content-Type %q: send multipart/form-data or application/x-www-form-urlencoded", media)
	}
}

// maxFormBytes bounds an urlencoded body (held in memory to parse it): a
// base64 data: URI of the largest allowed file (4/3 of it) with the few
// characters form encoding escapes, plus the other fields. Large files
// belong in multipart bodies, which are streamed to disk.
func (s *Service) maxFormBytes() int64 {
	return s.MaxBytes/2*3 + maxFieldsBytes
}

func (s *Service) readForm(w http.ResponseWriter, r *http.Request, b *body) error {
	limit := s.maxFormBytes()
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return badRequest("Request body too large. Maximum is %d.", limit)
		}
		return badRequest("Could not read the request body")
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return badRequest("Invalid request body: not application/x-www-form-urlencoded")
	}
	if len(vals) > maxFields {
		return badRequest("Too many parameters (more than %d)", maxFields)
	}
	for k, vs := range vals {
		b.values[k] = append(b.values[k], vs...)
	}
	return nil
}

func (s *Service) readMultipart(r *http.Request, b *body) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("Invalid multipart body: %s", describeMultipart(err))
	}
	var fieldBytes int64
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("Invalid multipart body: %s", describeMultipart(err))
		}
		if n >= maxFields {
			return badRequest("Too many parameters (more than %d)", maxFields)
		}
		name := part.FormName()
		if name == "" {
			part.Close()
			continue
		}
		if name == "file" && part.FileName() != "" {
			if b.file != nil {
				return badRequest("More than one file part")
			}
			st, err := s.stage(part, part.FileName())
			if err != nil {
				return err
			}
			b.file = st
			continue
		}
		limit := int64(maxFieldBytes)
		if name == "file" {
			limit = s.maxFormBytes() // a URL or a data: URI
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return badRequest("Invalid multipart body: %s", describeMultipart(err))
		}
		if int64(len(data)) > limit {
			return badRequest("Parameter %s is too long (more than %d bytes)", truncate(name, 64), limit)
		}
		if name != "file" {
			fieldBytes += int64(len(data))
			if fieldBytes > maxFieldsBytes {
				return badRequest("Parameters too large (more than %d bytes)", maxFieldsBytes)
			}
		}
		b.values[name] = append(b.values[name], string(data))
	}
}

func describeMultipart(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of body"
	}
	if errors.Is(err, http.ErrNotMultipart) {
		return "not multipart"
	}
	if errors.Is(err, http.ErrMissingBoundary) {
		return "no boundary in Content-Type"
	}
	msg := err.Error()
	if strings.Contains(msg, "multipart: NextPart") || strings.Contains(msg, "multipart:") {
		return "malformed part"
	}
	return "could not read the body"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// discard removes the staged file, if any.
func (b *body) discard() {
	if b != nil && b.file != nil {
		b.file.remove()
		b.file = nil
	}
}
