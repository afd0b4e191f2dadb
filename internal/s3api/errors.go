package s3api

// This file owns how the endpoint answers errors: in S3's XML shape, with
// S3's codes, so that SDKs raise the exceptions their users catch
// (NoSuchKey, AccessDenied, ...). Every error still goes through the
// gateway's one error writer (server.WriteErrorWith), which logs it and
// keeps internal detail out of the answer.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/verify/sigv4"
)

// S3's error codes that the endpoint answers itself; the verifier's
// refusals carry theirs (SignatureDoesNotMatch, AccessDenied, ...).
const (
	CodeAccessDenied       = "AccessDenied"
	CodeInvalidAccessKeyID = "InvalidAccessKeyId"
	CodeNoSuchBucket       = "NoSuchBucket"
	CodeNoSuchKey          = "NoSuchKey"
	CodeNotImplemented     = "NotImplemented"
	CodeInvalidArgument    = "InvalidArgument"
	CodeInvalidBucketName  = "InvalidBucketName"
	CodeMissingLength      = "MissingContentLength"
	CodeEntityTooLarge     = "EntityTooLarge"
	CodeIncompleteBody     = "IncompleteBody"
	CodeBadDigest          = "BadDigest"
	CodeInvalidDigest      = "InvalidDigest"
	CodePreconditionFailed = "PreconditionFailed"
	CodeInvalidRange       = "InvalidRange"
	CodeMethodNotAllowed   = "MethodNotAllowed"
	CodeInternalError      = "InternalError"
	CodeServiceUnavailable = "ServiceUnavailable"
	CodeAccessForbidden    = "AccessForbidden"
)

// s3Error makes an error answered with an S3 code.
func s3Error(status int, code, format string, args ...any) *server.Error {
	return server.Errorf(status, code, format, args...)
}

func accessDenied(format string, args ...any) *server.Error {
	return s3Error(http.StatusForbidden, CodeAccessDenied, format, args...)
}

func notImplemented(what string) *server.Error {
	return s3Error(http.StatusNotImplemented, CodeNotImplemented,
		"%s is not implemented by this endpoint; it offers GetObject, HeadObject, PutObject, DeleteObject, ListObjectsV2, ListObjects, HeadBucket and GetBucketLocation", what)
}

// errorBody is S3's error document.
type errorBody struct {
	XMLName          xml.Name `xml:"Error"`
	Code             string   `xml:"Code"`
	Message          string   `xml:"Message"`
	BucketName       string   `xml:"BucketName,omitempty"`
	Key              string   `xml:"Key,omitempty"`
	Resource         string   `xml:"Resource,omitempty"`
	RequestID        string   `xml:"RequestId"`
	StringToSign     string   `xml:"StringToSign,omitempty"`
	CanonicalRequest string   `xml:"CanonicalRequest,omitempty"`
}

// target is what a request names: its bucket and key, for error bodies.
type target struct{ bucket, key string }

// resource is the target as S3 names it in errors: /bucket/key, whatever
// the addressing (path style under /s3, or virtual-host style).
func (t target) resource(r *http.Request) string {
	switch {
	case t.bucket == "":
		return r.URL.Path
	case t.key == "":
		return "/" + t.bucket
	}
	return "/" + t.bucket + "/" + t.key
}

// errorWriter writes errors of the endpoint. Debug adds the string to sign
// and canonical request to SignatureDoesNotMatch, as S3 does: they help a
// client find what it signed differently, and give nothing away (they are
// built from the request itself; never the secret or the expected
// signature).
type errorWriter struct{ debug bool }

func (ew errorWriter) write(w http.ResponseWriter, r *http.Request, t target, err error) {
	var mismatch *sigv4.Mismatch
	if !ew.debug || !errors.As(err, &mismatch) {
		mismatch = nil
	}
	server.WriteErrorWith(w, r, err, func(w http.ResponseWriter, e *server.Error) {
		status, code := s3Code(e)
		body := errorBody{
			Code: code, Message: e.Message, BucketName: t.bucket, Key: t.key,
			Resource: t.resource(r), RequestID: requestID(r),
		}
		if mismatch != nil {
			body.StringToSign, body.CanonicalRequest = mismatch.StringToSign, mismatch.CanonicalRequest
		}
		writeXML(w, r, status, body)
	})
}

// s3Code maps the gateway's own codes (from parts the endpoint shares
// with bucket delivery: the origins, the record store) onto S3's, keeping
// S3 codes as they are.
func s3Code(e *server.Error) (int, string) {
	if isS3Code(e.Code) {
		return e.Status, e.Code
	}
	switch e.Status {
	case http.StatusNotFound:
		return e.Status, CodeNoSuchKey
	case http.StatusPreconditionFailed:
		return e.Status, CodePreconditionFailed
	case http.StatusRequestedRangeNotSatisfiable:
		return e.Status, CodeInvalidRange
	case http.StatusMethodNotAllowed:
		return e.Status, CodeMethodNotAllowed
	case http.StatusForbidden:
		if e.Code == "CORS_NOT_ALLOWED" {
			return e.Status, CodeAccessForbidden
		}
		return e.Status, CodeAccessDenied
	case http.StatusServiceUnavailable:
		return e.Status, CodeServiceUnavailable
	}
	if e.Status >= 500 {
		return e.Status, CodeInternalError
	}
	return e.Status, CodeInvalidArgument
}

// isS3Code reports whether code is in S3's style (NoSuchKey) rather than
// the gateway's (NOT_FOUND).
func isS3Code(code string) bool {
	return code != "" && code[0] >= 'A' && code[0] <= 'Z' && strings.ToUpper(code) != code
}

func requestID(r *http.Request) string {
	if s := server.ScopeOf(r.Context()); s != nil {
		return s.RequestID
	}
	return ""
}

// writeXML answers with v as an XML document.
func writeXML(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(xml.Header + "<Error><Code>InternalError</Code><Message>internal error</Message></Error>")
	}
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	if id := requestID(r); id != "" {
		h.Set("X-Amz-Request-Id", id)
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// xmlErrors turns the error answers of a bucket's origin (the gateway's
// JSON, an HTTP upstream's page, net/http's text for 412 and 416) into S3's
// XML, and leaves every other answer, streaming interfaces included, as
// the origin writes it.
type xmlErrors struct {
	http.ResponseWriter
	r      *http.Request
	t      target
	ew     errorWriter
	status int // >= 400 once an error is being collected
	body   []byte
	done   bool // the answer's header has been passed on
	// success, when set, runs just before a successful answer's header
	// goes out.
	success func(h http.Header, status int)
}

// maxErrorBody bounds what is kept of an origin's error body: enough for
// the gateway's JSON and its code.
const maxErrorBody = 4 << 10

func (w *xmlErrors) WriteHeader(code int) {
	if w.done || w.status != 0 {
		return
	}
	if code >= 400 {
		w.status = code
		return
	}
	if code >= 200 && w.success != nil {
		w.success(w.Header(), code)
	}
	if code >= 200 {
		w.done = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *xmlErrors) Write(p []byte) (int, error) {
	if !w.done && w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.status != 0 {
		if room := maxErrorBody - len(w.body); room > 0 {
			w.body = append(w.body, p[:min(len(p), room)]...)
		}
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// ReadFrom keeps sendfile for file origins: the body goes to the
// connection's own ReadFrom.
func (w *xmlErrors) ReadFrom(src io.Reader) (int64, error) {
	if !w.done && w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.status != 0 {
		return io.Copy(struct{ io.Writer }{w}, src)
	}
	return io.Copy(w.ResponseWriter, src)
}

func (w *xmlErrors) Flush() {
	if w.status != 0 {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *xmlErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes the collected error, if any, as XML.
func (w *xmlErrors) finish() {
	if w.status == 0 {
		return
	}
	e := &server.Error{Status: w.status, Message: http.StatusText(w.status)}
	var gw server.ErrorBody
	if json.Unmarshal(w.body, &gw) == nil && gw.Code != "" {
		e.Code, e.Message = gw.Code, gw.Message
	}
	if w.status == http.StatusNotFound {
		e.Message = "The specified key does not exist."
	}
	h := w.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Range", "Content-Disposition", "Etag", "Last-Modified", "Accept-Ranges"} {
		if k == "Content-Range" && w.status == http.StatusRequestedRangeNotSatisfiable {
			continue // bytes */size: clients read the size from it
		}
		h.Del(k)
	}
	w.status, w.done = 0, true
	w.ew.write(w.ResponseWriter, w.r, w.t, e)
}
