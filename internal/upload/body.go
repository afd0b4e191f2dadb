package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// Limits on the non-file parts of a request. A data: URI travels as a field,
// so the "file" field may be as large as a base64-encoded file.
const (
	maxFieldBytes  = 64 << 10
	maxFieldsBytes = 1 << 20
	maxFields      = 1000
)

// preAuthMaxBytes bounds a file part (or a "file" field) that arrives
// before the parameters that sign it. It is held in memory, never written
// to disk, until the whole body is read and the signature checked; past
// it the request is refused. The SDKs send every parameter first, so their
// files are checked before a byte is stored and are not bound by this.
const preAuthMaxBytes = 1 << 20

// body is a parsed upload request: every parameter, and the file part when
// one arrived (staged on disk, or held in memory while its signature was
// not known).
type body struct {
	values url.Values
	file   *staged

	// checked is set once the credential was checked with the parameters
	// that preceded the file; early is the result when that held and no
	// parameter has arrived since (so it holds for the whole request).
	checked bool
	early   *target
	// refusal is the early check's answer when it failed with a
	// credential present (a signature or a preset), and its reason for the
	// refusal counter: the answer when the file then exceeds the limit.
	refusal error
	reason  string

	held      []byte // a file part that arrived before its signature
	heldName  string
	heldBytes int64 // held in memory before the signature: file parts and "file" fields
	fileBytes int64 // "file" fields read after the signature held
}

// readBody parses r in every form the SDKs send: multipart/form-data
// (streamed; the file part goes to disk, never to memory),
// application/x-www-form-urlencoded, or no Content-Type at all (read as
// urlencoded, as the Go SDK sends remote-URL uploads and destroy). Query
// parameters are merged in.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request, cloud, action string) (*body, error) {
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
		if err := s.readMultipart(r, b, cloud, action); err != nil {
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

func (s *Service) readMultipart(r *http.Request, b *body, cloud, action string) error {
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
		if name == "file" && !b.checked {
			if err := s.checkEarly(r.Context(), b, cloud, action); err != nil {
				return err
			}
		}
		if name == "file" && part.FileName() != "" {
			if b.file != nil || b.held != nil {
				return badRequest("More than one file part")
			}
			if b.early == nil {
				// Not signed yet: hold a bounded amount in memory.
				data, err := s.readHeld(part, b)
				if err != nil {
					return err
				}
				b.held, b.heldName = data, part.FileName()
				continue
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
			limit = s.maxFormBytes() - b.fileBytes // a URL or a data: URI, repeated or not
			if b.early == nil {
				data, err := s.readHeld(part, b)
				if err != nil {
					return err
				}
				b.values[name] = append(b.values[name], string(data))
				continue
			}
		} else {
			// The parameters the early check saw are no longer all of them:
			// the whole set is checked once the body is read.
			b.early = nil
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
		} else {
			b.fileBytes += int64(len(data))
		}
		b.values[name] = append(b.values[name], string(data))
	}
}

// checkEarly checks the credential with the parameters received before the
// first file part (or "file" field), so that a request nobody signed never
// has its file written to disk: the SDKs send every parameter first. A
// failure is not final yet, since parameters may follow the file; it is
// kept and the file is held in memory, bounded, until the end. Only an
// internal error ends the request here.
func (s *Service) checkEarly(ctx context.Context, b *body, cloud, action string) error {
	b.checked = true
	p := uploadsig.Collect(b.values)
	t, reason, err := s.check(ctx, cloud, action, p)
	if err == nil {
		b.early = &t
		return nil
	}
	if e := server.AsError(err); e.Status >= 500 {
		return err
	}
	if p["signature"] != "" || p["upload_preset"] != "" {
		b.refusal, b.reason = err, reason
	}
	return nil
}

// readHeld reads a file that arrived before its signature was known, and
// stops reading once what the request holds so passes preAuthMaxBytes (or
// MaxBytes, if smaller).
func (s *Service) readHeld(r io.Reader, b *body) ([]byte, error) {
	limit := min(int64(preAuthMaxBytes), s.MaxBytes)
	data, err := io.ReadAll(io.LimitReader(r, limit-b.heldBytes+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, badRequest("Upload interrupted: the body ended inside the file part")
		}
		return nil, badRequest("Invalid multipart body: %s", describeMultipart(err))
	}
	if b.heldBytes += int64(len(data)); b.heldBytes <= limit {
		return data, nil
	}
	// The credential that came first failed: that is the answer a client
	// sending its parameters first needs to see.
	if b.refusal != nil {
		if b.reason == "" {
			return nil, b.refusal
		}
		return nil, s.refuse(b.reason, b.refusal)
	}
	return nil, badRequest("The file arrived before the parameters that sign the upload: send the parameters "+
		"before the file part (a file ahead of them may have at most %d bytes)", limit)
}

// stageHeld writes a file part held in memory to the staging directory,
// once the request's credential has been checked.
func (s *Service) stageHeld(b *body) error {
	if b.held == nil {
		return nil
	}
	st, err := s.stage(bytes.NewReader(b.held), b.heldName)
	if err != nil {
		return err
	}
	b.file, b.held = st, nil
	return nil
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
