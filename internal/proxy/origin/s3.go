package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"

	"github.com/signedgate/gateway/internal/objects"
	"github.com/signedgate/gateway/internal/server"
)

// s3Origin serves the objects of an S3 bucket under a prefix. Range and the
// conditional headers go to S3 with the read, so a range never fetches more
// than its bytes; several ranges are read one by one into a
// multipart/byteranges answer.
type s3Origin struct {
	store objects.Store
}

// maxRanges bounds the ranges of one request, each one read from S3.
const maxRanges = 16

func newS3Origin(cfg objects.S3Config) (http.Handler, error) {
	store, err := objects.NewS3(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	return &s3Origin{store: store}, nil
}

func (o *s3Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setNoSniff(w.Header())
	server.HandlerFunc(o.serve).ServeHTTP(w, r)
}

func (o *s3Origin) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed(r)
	}
	objectPath := r.URL.Path
	key := strings.TrimPrefix(objectPath, "/")
	if !objects.ValidKey(key) {
		return objectNotFound(objectPath)
	}
	opts := readConditions(r)
	ranges, multi := parseRanges(r.Header.Get("Range"))
	if multi {
		info, parts, err := o.resolveRanges(w, r, key, ranges)
		if err != nil {
			return err
		}
		if len(parts) > 1 {
			return o.serveParts(w, r, key, opts, info, parts)
		}
		ranges = parts
	}
	ifRange := r.Header.Get("If-Range")
	if len(ranges) == 1 {
		opts.Range = &ranges[0]
		if ifRange != "" {
			// The range only of the version the client has; S3 knows no
			// If-Range, so the version is a condition of the ranged read,
			// and a read of the whole object follows when it fails.
			opts = withIfRange(opts, ifRange)
		}
	}
	obj, err := o.store.Get(r.Context(), key, opts)
	if errors.Is(err, objects.ErrPreconditionFailed) && ifRange != "" && opts.Range != nil {
		opts = readConditions(r)
		obj, err = o.store.Get(r.Context(), key, opts)
	}
	var re *objects.RangeError
	if errors.As(err, &re) && re.Size == 0 {
		// An empty object is served whole for any range, as file origins
		// do: clients that put a Range on every request must not fail.
		opts.Range = nil
		obj, err = o.store.Get(r.Context(), key, opts)
	}
	if err != nil {
		return o.readError(w, r, objectPath, err)
	}
	defer obj.Close()
	h := w.Header()
	o.setHeaders(h, objectPath, obj.Info)
	status := http.StatusOK
	length := obj.Info.Size
	if rg := obj.Range; rg != nil {
		status, length = http.StatusPartialContent, rg.Length
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rg.Start, rg.Start+rg.Length-1, obj.Info.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	if err := copyObject(w, obj); err != nil {
		// The status line is sent: all that is left is to cut the
		// connection, so the client sees a short body, not a whole one.
		server.Log(r).Warn("reading the object from S3 failed mid-answer", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// copyBuffers hold what is being copied from S3 to a client: big enough
// that a MiB takes a few system calls each way, not 32 of each.
var s3Buffers = &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}}

// copyObject streams obj to w through a pooled buffer (the response
// writer's own ReadFrom would copy 32 KiB at a time).
func copyObject(w io.Writer, obj io.Reader) error {
	buf := s3Buffers.Get()
	defer s3Buffers.Put(buf)
	_, err := io.CopyBuffer(struct{ io.Writer }{w}, obj, buf)
	return err
}

// setHeaders writes what describes the object.
func (o *s3Origin) setHeaders(h http.Header, objectPath string, info objects.Info) {
	ct := info.ContentType
	if ct == "" || ct == "binary/octet-stream" || ct == "application/octet-stream" {
		ct = ContentType(objectPath)
	}
	h.Set("Content-Type", ct)
	if info.ETag != "" {
		h.Set("ETag", info.ETag)
	}
	if !info.ModTime.IsZero() {
		h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	}
	h.Set("Accept-Ranges", "bytes")
	sandboxActive(h)
}

// readError answers a failed read: the object's own answers (304, 412,
// 416, 404) as HTTP has them, the storage's failures as 502 or 504.
func (o *s3Origin) readError(w http.ResponseWriter, r *http.Request, objectPath string, err error) error {
	var re *objects.RangeError
	switch {
	case errors.Is(err, objects.ErrNotModified):
		w.WriteHeader(http.StatusNotModified)
		return nil
	case errors.Is(err, objects.ErrPreconditionFailed):
		return server.Errorf(http.StatusPreconditionFailed, CodePreconditionFailed, "a precondition of the request does not hold for %q", objectPath)
	case errors.As(err, &re) && re.Size >= 0:
		return server.Errorf(http.StatusRequestedRangeNotSatisfiable, CodeRangeNotSatisfiable,
			"the requested range is not within the object (%d bytes)", re.Size).
			WithHeader("Content-Range", fmt.Sprintf("bytes */%d", re.Size))
	case errors.Is(err, objects.ErrRangeNotSatisfiable):
		return server.Errorf(http.StatusRequestedRangeNotSatisfiable, CodeRangeNotSatisfiable, "the requested range is not within the object")
	case errors.Is(err, objects.ErrNotFound), errors.Is(err, objects.ErrInvalidKey):
		return objectNotFound(objectPath)
	case errors.Is(err, objects.ErrAccessDenied):
		return server.WrapError(err, http.StatusBadGateway, CodeUpstreamUnavailable,
			"the storage of this bucket refused the gateway's credentials")
	case errors.Is(r.Context().Err(), context.Canceled):
		server.Log(r).Info("client went away before the storage answered", "status", StatusClientClosed, "err", err)
		return nil
	}
	return classify(err)
}

// readConditions reads the conditional headers into read options; dates
// that do not parse are ignored, as RFC 9110 says.
func readConditions(r *http.Request) objects.ReadOptions {
	var opts objects.ReadOptions
	opts.IfMatch = r.Header.Get("If-Match")
	opts.IfNoneMatch = r.Header.Get("If-None-Match")
	if opts.IfNoneMatch == "" {
		if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil {
			opts.IfModifiedSince = t
		}
	}
	if opts.IfMatch == "" {
		if t, err := http.ParseTime(r.Header.Get("If-Unmodified-Since")); err == nil {
			opts.IfUnmodifiedSince = t
		}
	}
	return opts
}

// withIfRange adds If-Range's version to opts as a precondition: an
// entity tag must match strongly, a date be the last modification's.
func withIfRange(opts objects.ReadOptions, ifRange string) objects.ReadOptions {
	if strings.HasPrefix(ifRange, `"`) {
		if opts.IfMatch == "" {
			opts.IfMatch = ifRange
		}
		return opts
	}
	if strings.HasPrefix(ifRange, "W/") {
		opts.IfMatch = `"-never-"` // a weak tag never allows a range
		return opts
	}
	if t, err := http.ParseTime(ifRange); err == nil && opts.IfUnmodifiedSince.IsZero() {
		opts.IfUnmodifiedSince = t
	}
	return opts
}

// parseRanges reads a Range header without knowing the object's size: no
// range (an absent, malformed or non-byte header is ignored, and the
// object is served whole), one range, or several (multi).
func parseRanges(header string) (ranges []objects.ByteRange, multi bool) {
	unit, set, ok := strings.Cut(header, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return nil, false
	}
	for spec := range strings.SplitSeq(set, ",") {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue
		}
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, false
		}
		first, last = strings.Trim(first, " \t"), strings.Trim(last, " \t")
		if first == "" {
			n, ok := digits(last)
			if !ok {
				return nil, false
			}
			if n == 0 {
				continue // "-0" names no byte
			}
			ranges = append(ranges, objects.ByteRange{Start: -n})
			continue
		}
		start, ok := digits(first)
		if !ok {
			return nil, false
		}
		rg := objects.ByteRange{Start: start, Length: -1}
		if last != "" {
			end, ok := digits(last)
			if !ok || end < start {
				return nil, false
			}
			if end < 1<<62 {
				rg.Length = end - start + 1
			}
		}
		ranges = append(ranges, rg)
	}
	return ranges, len(ranges) > 1
}

// resolveRanges places several ranges in the object (a HEAD tells its
// size), dropping those outside it: none left is 416, as are more than
// maxRanges.
func (o *s3Origin) resolveRanges(w http.ResponseWriter, r *http.Request, key string, ranges []objects.ByteRange) (objects.Info, []objects.ByteRange, error) {
	objectPath := r.URL.Path
	info, err := o.store.Stat(r.Context(), key)
	if err != nil {
		return info, nil, o.readError(w, r, objectPath, err)
	}
	var parts []objects.ByteRange
	for _, rg := range ranges {
		if res, ok := rg.Resolve(info.Size); ok {
			parts = append(parts, res)
		}
	}
	switch {
	case len(parts) == 0:
		return info, nil, o.readError(w, r, objectPath, &objects.RangeError{Size: info.Size})
	case len(parts) > maxRanges:
		return info, nil, server.Errorf(http.StatusRequestedRangeNotSatisfiable, CodeRangeNotSatisfiable,
			"at most %d ranges may be asked for at once", maxRanges).
			WithHeader("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
	}
	return info, parts, nil
}

// serveParts answers several ranges with a multipart/byteranges body, one
// ranged read each, every one of the version the conditions were checked
// against.
func (o *s3Origin) serveParts(w http.ResponseWriter, r *http.Request, key string, opts objects.ReadOptions, info objects.Info, parts []objects.ByteRange) error {
	// Conditions first, so that a 304 or 412 is answered before any part.
	probe := opts
	probe.Range = &objects.ByteRange{Start: 0, Length: 1}
	first, err := o.store.Get(r.Context(), key, probe)
	if err != nil {
		return o.readError(w, r, r.URL.Path, err)
	}
	first.Close()
	h := w.Header()
	o.setHeaders(h, r.URL.Path, info)
	ct := h.Get("Content-Type")
	mw := multipart.NewWriter(w) // writes nothing before its first part
	h.Set("Content-Type", "multipart/byteranges; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusPartialContent)
	if r.Method == http.MethodHead {
		return nil
	}
	ifMatch := objects.ReadOptions{IfMatch: info.ETag}
	for _, p := range parts {
		part, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":  {ct},
			"Content-Range": {fmt.Sprintf("bytes %d-%d/%d", p.Start, p.Start+p.Length-1, info.Size)},
		})
		if err != nil {
			return nil // the client went away
		}
		ifMatch.Range = &p
		obj, err := o.store.Get(r.Context(), key, ifMatch)
		if err != nil {
			server.Log(r).Warn("reading a range from S3 failed mid-answer", "err", err)
			panic(http.ErrAbortHandler)
		}
		err = copyObject(part, obj)
		obj.Close()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
	}
	_ = mw.Close()
	return nil
}
