package jobs

// import/s3 and export/s3 reach a bucket the job names, with the job's own
// credentials, on AWS or on any S3-compatible server. That server is a host
// a user chose, so it is reached as import/url reaches one: its endpoint
// must pass the fetch policy, checked once before anything is sent (a
// clear refusal, no request) and again on every address the transport
// dials (so a name that resolves elsewhere the second time gets nowhere).
// The credentials go to the SDK and nowhere else: no message or log line
// is made from them, and the job's status does not echo task fields.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
	"github.com/signedgate/gateway/internal/objects"
)

// maxS3Objects bounds the objects one import/s3 task reads by key_prefix;
// more fail the task before any is downloaded.
const maxS3Objects = 1000

// newS3HTTP returns the transport and client of every S3 task: the fetch
// policy's dialer, no proxy, and no redirect followed (S3 answers in
// place; a redirect would only lead away from the endpoint that was
// checked).
func newS3HTTP(fc *fetch.Client) (*http.Transport, *http.Client) {
	tr := &http.Transport{
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		// Sizes and ETags are the object's own.
		DisableCompression: true,
	}
	fc.GuardTransport(tr)
	return tr, &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// s3Task reads the task's S3 fields; Submit validated them, so an error
// here is a job built by hand.
func s3Task(t *jobspec.Task) (*jobspec.S3, error) {
	loc, err := jobspec.ParseS3(t)
	if err != nil {
		return nil, failf(CodeInvalidInput, err.Error(), nil)
	}
	return loc, nil
}

// s3Store opens the task's bucket, after the endpoint has passed the fetch
// policy. Without an endpoint the bucket is on AWS, whose addresses are
// public; the transport checks them all the same.
func (s *Service) s3Store(ctx context.Context, loc *jobspec.S3) (*objects.S3, error) {
	if s.deps.Fetch == nil || s.s3HTTP == nil {
		return nil, failf(CodeInternal, "S3 tasks are not configured", nil)
	}
	endpoint := ""
	if loc.Endpoint != nil {
		if err := s.deps.Fetch.CheckHost(ctx, loc.Endpoint.Hostname()); err != nil {
			return nil, err
		}
		endpoint = loc.Endpoint.String()
	}
	store, err := objects.NewS3(ctx, objects.S3Config{
		Bucket: loc.Bucket, Endpoint: endpoint, Region: loc.Region,
		// S3-compatible servers answer for buckets in the path; AWS in
		// the host name.
		ForcePathStyle: loc.Endpoint != nil,
		AccessKeyID:    loc.AccessKeyID, SecretAccessKey: loc.SecretAccessKey, SessionToken: loc.SessionToken,
		HTTPClient: s.s3HTTP,
		// The gateway's own AWS credentials and settings never serve a
		// job's bucket.
		Isolated: true,
	})
	if err != nil {
		return nil, failf(CodeInternal, "the gateway could not set up the S3 client", err)
	}
	return store, nil
}

// importS3 downloads the task's object, or every object under its
// key_prefix, each into a file named by the key's last segment.
func (s *Service) importS3(ctx context.Context, j *Job, t *jobspec.Task, dir string) (taskOutput, error) {
	loc, err := s3Task(t)
	if err != nil {
		return taskOutput{}, err
	}
	store, err := s.s3Store(ctx, loc)
	if err != nil {
		return taskOutput{}, s3Failure(err, loc, loc.Key)
	}
	keys := []string{loc.Key}
	if loc.Key == "" {
		if keys, err = listKeys(ctx, store, loc); err != nil {
			return taskOutput{}, err
		}
	}
	var out taskOutput
	for i, key := range keys {
		name := path.Base(key)
		if loc.Key != "" && loc.Filename != "" {
			name = loc.Filename
		}
		o, err := s.importObject(ctx, store, loc, key, name, dir)
		if err != nil {
			return taskOutput{}, err
		}
		out.files = append(out.files, o.files...)
		out.result = append(out.result, o.result...)
		j.progress(t.Name, (i+1)*100/len(keys))
	}
	return out, nil
}

// listKeys lists the objects under the task's key_prefix, leaving out the
// empty "folder" objects that consoles create for keys ending in "/".
func listKeys(ctx context.Context, store *objects.S3, loc *jobspec.S3) ([]string, error) {
	var keys []string
	for info, err := range store.List(ctx, loc.KeyPrefix) {
		if err != nil {
			return nil, s3Failure(err, loc, "")
		}
		if strings.HasSuffix(info.Key, "/") {
			continue
		}
		if len(keys) == maxS3Objects {
			return nil, failf(CodeTooLarge, fmt.Sprintf("more than %d objects under key_prefix %s in bucket %s; import fewer at a time",
				maxS3Objects, quote(loc.KeyPrefix), quote(loc.Bucket)), nil)
		}
		keys = append(keys, info.Key)
	}
	if len(keys) == 0 {
		return nil, failf(CodeObjectNotFound, fmt.Sprintf("no object under key_prefix %s in bucket %s",
			quote(loc.KeyPrefix), quote(loc.Bucket)), nil)
	}
	return keys, nil
}

// importObject streams one object into dir, within the fetch policy's size
// cap, and names it name.
func (s *Service) importObject(ctx context.Context, store *objects.S3, loc *jobspec.S3, key, name, dir string) (taskOutput, error) {
	if !objects.ValidKey(key) {
		return taskOutput{}, invalidKey(key)
	}
	r, err := store.Get(ctx, key, objects.ReadOptions{})
	if err != nil {
		return taskOutput{}, s3Failure(err, loc, key)
	}
	defer r.Close()
	limit := s.deps.Fetch.MaxBytes()
	tooLarge := func() error {
		return failf(CodeTooLarge, fmt.Sprintf("object %s is larger than the limit of %d bytes", quote(key), limit), nil)
	}
	if limit >= 0 && r.Info.Size > limit {
		return taskOutput{}, tooLarge()
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the download", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var src io.Reader = r
	if limit >= 0 {
		// One byte over the cap tells a lying size from a true one.
		src = io.LimitReader(r, limit+1)
	}
	w := &recordWriter{w: tmp}
	n, err := io.Copy(w, src)
	switch {
	case w.err != nil:
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the download", w.err)
	case err != nil:
		return taskOutput{}, s3Failure(err, loc, key)
	case limit >= 0 && n > limit:
		return taskOutput{}, tooLarge()
	}
	done = true
	if err := tmp.Close(); err != nil {
		return taskOutput{}, failf(CodeInternal, "the gateway could not store the download", err)
	}
	return placeFile(tmp.Name(), dir, fetch.SanitizeFileName(name))
}

// recordWriter keeps the destination's error, so a full disk is not taken
// for a failed download.
type recordWriter struct {
	w   io.Writer
	err error
}

func (r *recordWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil {
		r.err = err
	}
	return n, err
}

// exportS3 uploads each input file, with its size known: to key, to key
// with %d numbered from 1 when several files go, or to key_prefix followed
// by the file's name.
func (s *Service) exportS3(ctx context.Context, j *Job, t *jobspec.Task, inputs []engine.File) (taskOutput, error) {
	loc, err := s3Task(t)
	if err != nil {
		return taskOutput{}, err
	}
	if len(inputs) == 0 {
		return taskOutput{}, failf(CodeInvalidInput, "the input tasks produced no files", nil)
	}
	keys, err := exportKeys(loc, inputs)
	if err != nil {
		return taskOutput{}, err
	}
	store, err := s.s3Store(ctx, loc)
	if err != nil {
		return taskOutput{}, s3Failure(err, loc, keys[0])
	}
	var out taskOutput
	for i, f := range inputs {
		size, err := putFile(ctx, store, keys[i], f, loc)
		if err != nil {
			return taskOutput{}, s3Failure(err, loc, keys[i])
		}
		out.files = append(out.files, f)
		out.result = append(out.result, File{Filename: f.Name, Size: size})
		j.progress(t.Name, (i+1)*100/len(inputs))
	}
	return out, nil
}

// exportKeys is the key of each file; two files never share one, where the
// second would silently replace the first.
func exportKeys(loc *jobspec.S3, inputs []engine.File) ([]string, error) {
	numbered := strings.Contains(loc.Key, "%d")
	if loc.Key != "" && !numbered && len(inputs) > 1 {
		return nil, failf(CodeInvalidInput, fmt.Sprintf(
			"%d files cannot all be written to key %s: use key_prefix, or %%d in the key (numbered from 1)", len(inputs), quote(loc.Key)), nil)
	}
	keys := make([]string, len(inputs))
	seen := make(map[string]bool, len(inputs))
	for i, f := range inputs {
		switch {
		case loc.Key == "":
			keys[i] = loc.KeyPrefix + f.Name
		case numbered:
			keys[i] = strings.ReplaceAll(loc.Key, "%d", strconv.Itoa(i+1))
		default:
			keys[i] = loc.Key
		}
		if !objects.ValidKey(keys[i]) {
			return nil, invalidKey(keys[i])
		}
		if seen[keys[i]] {
			return nil, failf(CodeInvalidInput, fmt.Sprintf("two input files would both be written to key %s", quote(keys[i])), nil)
		}
		seen[keys[i]] = true
	}
	return keys, nil
}

// putFile uploads f in one streamed request of its size.
func putFile(ctx context.Context, store *objects.S3, key string, f engine.File, loc *jobspec.S3) (int64, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return 0, failf(CodeInternal, "the gateway could not read the file to export", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0, failf(CodeInternal, "the gateway could not read the file to export", err)
	}
	contentType := loc.ContentType
	if contentType == "" {
		contentType = mime.TypeByExtension(filepath.Ext(f.Name))
	}
	_, err = store.Put(ctx, key, fh, st.Size(), objects.WriteOptions{
		ContentType: contentType, CacheControl: loc.CacheControl, Metadata: loc.Metadata, ACL: loc.ACL,
	})
	return st.Size(), err
}

func invalidKey(key string) error {
	return failf(CodeInvalidInput, fmt.Sprintf(
		"%s is not an object key the gateway reads or writes: keys must not start or end with \"/\", nor hold \"//\", \".\" or \"..\" segments",
		quote(key)), nil)
}

// s3Failure is the task error for err from the bucket of loc, about key
// (empty for the bucket as a whole). Messages name the bucket, key and
// endpoint, never a credential; the S3 server's own wording stays in the
// cause, for the log.
func s3Failure(err error, loc *jobspec.S3, key string) error {
	var te *taskError
	if errors.As(err, &te) {
		return te
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // runTask tells the task's deadline from a shutdown
	}
	server := "S3 in region " + loc.Region
	host := "s3.amazonaws.com"
	if loc.Endpoint != nil {
		host = loc.Endpoint.Hostname()
		server = "the S3 endpoint " + quote(host)
	}
	if fe, ok := fetch.Forbidden(err, host); ok {
		return &taskError{code: string(fe.Code()), msg: "the S3 endpoint is refused: " + fe.Error(), cause: err}
	}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return &taskError{code: string(fe.Code()), msg: "the S3 endpoint: " + fe.Error(), cause: err}
	}
	object := "object " + quote(key) + " in bucket " + quote(loc.Bucket)
	if key == "" {
		object = "bucket " + quote(loc.Bucket)
	}
	var api smithy.APIError
	isAPI := errors.As(err, &api)
	switch {
	case errors.Is(err, objects.ErrAccessDenied):
		return failf(CodeAccessDenied, fmt.Sprintf("%s refused access to %s: check access_key_id, secret_access_key, session_token and the bucket's permissions",
			server, object), err)
	case isAPI && api.ErrorCode() == "NoSuchBucket":
		return failf(CodeBucketNotFound, fmt.Sprintf("bucket %s does not exist at %s", quote(loc.Bucket), server), err)
	case errors.Is(err, objects.ErrNotFound):
		return failf(CodeObjectNotFound, fmt.Sprintf("%s does not exist", object), err)
	case errors.Is(err, objects.ErrACLNotSupported):
		return failf(CodeACLNotSupported, fmt.Sprintf("bucket %s does not accept ACLs (its objects belong to the bucket owner); leave out \"acl\"",
			quote(loc.Bucket)), err)
	case errors.Is(err, objects.ErrInvalidKey):
		return invalidKey(key)
	case isAPI:
		return failf(string(fetch.CodeUpstreamStatus), fmt.Sprintf("%s refused the request for %s%s", server, object, apiCode(api)), err)
	}
	return failf(string(fetch.CodeFetchFailed), fmt.Sprintf("%s could not be reached", server), err)
}

// apiCode is ": " and the S3 error code of api ("InvalidBucketName"),
// which says what went wrong; the server's message stays in the log. A
// code that is not one word is left out.
func apiCode(api smithy.APIError) string {
	c := api.ErrorCode()
	if c == "" || len(c) > 64 {
		return ""
	}
	for i := 0; i < len(c); i++ {
		if b := c[i]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.') {
			return ""
		}
	}
	return ": " + c
}
