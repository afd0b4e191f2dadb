package objects

// The S3 backend speaks to AWS S3 or any S3-compatible server through the
// AWS SDK for Go v2: the reference client of the S3 API, with the whole
// standard credential chain (environment, shared profiles, SSO, web
// identity, container and instance roles) and SigV4 signing.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config says where a store's objects live and how to reach them. Empty
// fields take the standard AWS defaults (AWS_REGION, AWS_ACCESS_KEY_ID,
// profiles, instance roles, ...).
type S3Config struct {
	Bucket string
	// Prefix is prepended to every key ("films" keeps keys under films/).
	Prefix string
	// Endpoint is the server's URL for S3-compatible storage; empty: AWS.
	Endpoint string
	Region   string
	// ForcePathStyle addresses buckets as <endpoint>/<bucket> rather than
	// <bucket>.<endpoint>; most S3-compatible servers want it.
	ForcePathStyle bool
	// Static credentials; empty AccessKeyID: the AWS credential chain.
	AccessKeyID, SecretAccessKey, SessionToken string
	// HTTPClient carries the requests; nil: NewHTTPClient's. The SDK
	// reconfigures an *awshttp.BuildableClient as its defaults mode says,
	// and setting its dialer's timeout replaces the transport's
	// DialContext: a client whose dialing must not change (one that checks
	// the addresses it connects to) is given as another type.
	HTTPClient aws.HTTPClient
	// Isolated uses this configuration alone: no AWS environment
	// variables, shared files or instance roles, so without AccessKeyID
	// requests go unsigned. A store a user describes (a job's own bucket)
	// must be isolated, or the gateway's own credentials and endpoint
	// settings would serve that user.
	Isolated bool
}

// CacheKey names cfg for a cache of stores or handlers: a change of any
// setting, the secret included, makes another key, and the key does not
// show the secret.
func (cfg S3Config) CacheKey() string {
	sum := sha256.Sum256([]byte(cfg.SecretAccessKey + "\x00" + cfg.SessionToken))
	return strings.Join([]string{"s3", cfg.Bucket, cfg.Prefix, cfg.Endpoint, cfg.Region,
		strconv.FormatBool(cfg.ForcePathStyle), cfg.AccessKeyID, hex.EncodeToString(sum[:8])}, "\x00")
}

// S3 is a Store in an S3 bucket, under a prefix.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// DefaultRegion is used where neither the configuration nor the
// environment names one (S3-compatible servers mostly ignore it).
const DefaultRegion = "us-east-1"

// partSize is the part of a multipart upload, held in memory while it is
// sent, for a write whose size is not known in advance.
const partSize = 8 << 20

// NewHTTPClient returns the client S3 stores share by default: explicit
// timeouts, and enough idle connections per host that ranged reads reuse
// them.
func NewHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = 5 * time.Second
		d.KeepAlive = 30 * time.Second
	}).WithTransportOptions(func(t *http.Transport) {
		t.TLSHandshakeTimeout = 10 * time.Second
		t.ResponseHeaderTimeout = 30 * time.Second
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 64
		t.IdleConnTimeout = 90 * time.Second
		// Lengths, ranges and ETags are the object's own.
		t.DisableCompression = true
		// The endpoint is configuration; environment proxies do not apply.
		t.Proxy = nil
	})
}

// NewS3 returns the store cfg describes. It reads the AWS configuration
// (environment, profiles) but sends nothing yet.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	var httpClient aws.HTTPClient = NewHTTPClient()
	if cfg.HTTPClient != nil {
		httpClient = cfg.HTTPClient
	}
	awsCfg, err := awsConfig(ctx, cfg, httpClient)
	if err != nil {
		return nil, err
	}
	if awsCfg.Region == "" {
		awsCfg.Region = DefaultRegion
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.ForcePathStyle
		// Checksums only where the API requires them: S3-compatible
		// servers do not all know the newer ones.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		// Bodies stream unsigned (UNSIGNED-PAYLOAD), so a write need not be
		// read twice or held to be hashed first; the request itself is
		// signed as ever.
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	return &S3{client: client, bucket: cfg.Bucket, prefix: strings.Trim(cfg.Prefix, "/")}, nil
}

// awsConfig is the SDK configuration of cfg: the standard chain's, or for
// an isolated store cfg's alone.
func awsConfig(ctx context.Context, cfg S3Config, httpClient aws.HTTPClient) (aws.Config, error) {
	var creds aws.CredentialsProvider
	if cfg.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	}
	if cfg.Isolated {
		if creds == nil {
			creds = aws.AnonymousCredentials{}
		}
		return aws.Config{Region: cfg.Region, Credentials: creds, HTTPClient: httpClient}, nil
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithHTTPClient(httpClient)}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if creds != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(creds))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("s3: load AWS configuration: %w", err)
	}
	return awsCfg, nil
}

// Client is the SDK client, for what the interface does not cover
// (multipart uploads, presigning).
func (s *S3) Client() *s3.Client { return s.client }

// Bucket and Key name key's object in S3.
func (s *S3) Bucket() string        { return s.bucket }
func (s *S3) Key(key string) string { return Join(s.prefix, key) }
func (s *S3) unkey(full string) string {
	return strings.TrimPrefix(strings.TrimPrefix(full, s.prefix), "/")
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string, opts ReadOptions) (*Reader, error) {
	if !ValidKey(key) {
		return nil, ErrInvalidKey
	}
	if !opts.IfModifiedSince.IsZero() || !opts.IfUnmodifiedSince.IsZero() {
		// HTTP dates have whole seconds, and S3-compatible servers compare
		// them differently with modification times that have more: the
		// conditions are checked here, against the object's version that
		// the read then insists on.
		info, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		if err := checkConditions(opts, info.ETag, info.ModTime); err != nil {
			return nil, err
		}
		opts = ReadOptions{Range: opts.Range, IfMatch: info.ETag}
	}
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.Key(key))}
	if r := opts.Range; r != nil {
		if r.Start >= 0 && r.Length == 0 {
			return nil, ErrRangeNotSatisfiable
		}
		in.Range = aws.String(r.header())
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(opts.IfMatch)
	}
	if opts.IfNoneMatch != "" {
		in.IfNoneMatch = aws.String(opts.IfNoneMatch)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		err = s3Error(err)
		if errors.Is(err, ErrRangeNotSatisfiable) && opts.Range != nil {
			// The answer needs the object's size; and a range that ends
			// past the object, which S3 cuts at its end, is refused by
			// some servers: it is asked again within the object.
			info, serr := s.Stat(ctx, key)
			if serr != nil {
				return nil, err
			}
			rg, ok := opts.Range.Resolve(info.Size)
			if !ok || rg == *opts.Range {
				return nil, &RangeError{Size: info.Size}
			}
			opts.Range = &rg
			return s.Get(ctx, key, opts)
		}
		return nil, err
	}
	info := Info{
		Key:         key,
		ModTime:     aws.ToTime(out.LastModified),
		ETag:        aws.ToString(out.ETag),
		ContentType: aws.ToString(out.ContentType),
		Metadata:    out.Metadata,
		Size:        aws.ToInt64(out.ContentLength),
	}
	rd := &Reader{ReadCloser: out.Body, Info: info}
	if cr := aws.ToString(out.ContentRange); cr != "" {
		start, end, size, ok := parseContentRange(cr)
		if !ok {
			out.Body.Close()
			return nil, fmt.Errorf("s3: bad Content-Range %q", cr)
		}
		rd.Info.Size = size
		rd.Range = &ByteRange{Start: start, Length: end - start + 1}
	}
	return rd, nil
}

// parseContentRange reads "bytes first-last/size".
func parseContentRange(s string) (first, last, size int64, ok bool) {
	n, err := fmt.Sscanf(s, "bytes %d-%d/%d", &first, &last, &size)
	return first, last, size, err == nil && n == 3 && first >= 0 && last >= first && size > last
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrInvalidKey
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.Key(key))})
	if err != nil {
		return Info{}, s3Error(err)
	}
	return Info{
		Key:         key,
		Size:        aws.ToInt64(out.ContentLength),
		ModTime:     aws.ToTime(out.LastModified),
		ETag:        aws.ToString(out.ETag),
		ContentType: aws.ToString(out.ContentType),
		Metadata:    out.Metadata,
	}, nil
}

// Put implements Store. A body of known size goes in one request, streamed;
// one of unknown size in parts of 8 MiB.
func (s *S3) Put(ctx context.Context, key string, body io.Reader, size int64, opts WriteOptions) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrInvalidKey
	}
	if err := opts.check(); err != nil {
		return Info{}, err
	}
	if size < 0 {
		return s.putParts(ctx, key, body, opts)
	}
	in := &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.Key(key)),
		Body:          body,
		ContentLength: aws.Int64(size),
		Metadata:      opts.Metadata,
	}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	if opts.CacheControl != "" {
		in.CacheControl = aws.String(opts.CacheControl)
	}
	in.ACL = types.ObjectCannedACL(opts.ACL)
	in.IfMatch, in.IfNoneMatch = optional(opts.IfMatch), optional(opts.IfNoneMatch)
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return Info{}, writeError(err, opts.Conditions)
	}
	return Info{Key: key, Size: size, ETag: aws.ToString(out.ETag), ContentType: opts.ContentType, Metadata: opts.Metadata, ModTime: time.Now()}, nil
}

// putParts writes body with a multipart upload; an upload that fails is
// aborted, so no part is left behind.
func (s *S3) putParts(ctx context.Context, key string, body io.Reader, opts WriteOptions) (Info, error) {
	mp, err := s.CreateMultipart(ctx, key, opts)
	if err != nil {
		return Info{}, err
	}
	buf := make([]byte, partSize)
	var size int64
	for n := int32(1); ; n++ {
		got, rerr := io.ReadFull(body, buf)
		if got > 0 || n == 1 {
			if err := mp.Part(ctx, n, bytes.NewReader(buf[:got]), int64(got)); err != nil {
				mp.Abort(context.WithoutCancel(ctx))
				return Info{}, err
			}
			size += int64(got)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			mp.Abort(context.WithoutCancel(ctx))
			return Info{}, fmt.Errorf("read the object's body: %w", rerr)
		}
	}
	etag, err := mp.Complete(ctx, opts.Conditions)
	if err != nil {
		mp.Abort(context.WithoutCancel(ctx))
		return Info{}, err
	}
	return Info{Key: key, Size: size, ETag: etag, ContentType: opts.ContentType, Metadata: opts.Metadata, ModTime: time.Now()}, nil
}

// Multipart is an S3 multipart upload in progress. It can outlive the
// request that started it: its ID and Parts are all there is to know, and
// ResumeMultipart takes the upload up again (in another request or another
// process).
type Multipart struct {
	s     *S3
	key   string
	id    string
	parts []Part
}

// Part is one part sent of a multipart upload.
type Part struct {
	Number int32  `json:"n"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

// MinPartSize is S3's smallest part but the last.
const MinPartSize = 5 << 20

// CreateMultipart starts a multipart upload of key. opts' conditions are
// not kept: Complete takes its own.
func (s *S3) CreateMultipart(ctx context.Context, key string, opts WriteOptions) (*Multipart, error) {
	if !ValidKey(key) {
		return nil, ErrInvalidKey
	}
	in := &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: aws.String(s.Key(key)), Metadata: opts.Metadata}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	if opts.CacheControl != "" {
		in.CacheControl = aws.String(opts.CacheControl)
	}
	in.ACL = types.ObjectCannedACL(opts.ACL)
	out, err := s.client.CreateMultipartUpload(ctx, in)
	if err != nil {
		return nil, s3Error(err)
	}
	return &Multipart{s: s, key: key, id: aws.ToString(out.UploadId)}, nil
}

// ResumeMultipart takes up the multipart upload id of key, whose parts
// sent so far are parts.
func (s *S3) ResumeMultipart(key, id string, parts []Part) *Multipart {
	return &Multipart{s: s, key: key, id: id, parts: slices.Clone(parts)}
}

// ID is the upload's id.
func (m *Multipart) ID() string { return m.id }

// Parts are the parts sent so far, in order.
func (m *Multipart) Parts() []Part { return slices.Clone(m.parts) }

// Part sends part number n (from 1, in order); every part but the last must
// be at least MinPartSize, as S3 requires. Sending a number again replaces
// that part.
func (m *Multipart) Part(ctx context.Context, n int32, body io.Reader, size int64) error {
	if !ValidKey(m.key) {
		return ErrInvalidKey
	}
	out, err := m.s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &m.s.bucket, Key: aws.String(m.s.Key(m.key)), UploadId: &m.id,
		PartNumber: aws.Int32(n), Body: body, ContentLength: aws.Int64(size),
	})
	if err != nil {
		return s3Error(err)
	}
	m.parts = slices.DeleteFunc(m.parts, func(p Part) bool { return p.Number == n })
	m.parts = append(m.parts, Part{Number: n, ETag: aws.ToString(out.ETag), Size: size})
	slices.SortFunc(m.parts, func(a, b Part) int { return int(a.Number) - int(b.Number) })
	return nil
}

// Complete assembles the parts into the object, if cond holds, and returns
// its ETag. A failed condition is ErrPreconditionFailed; the upload is then
// still there, to abort.
func (m *Multipart) Complete(ctx context.Context, cond Conditions) (string, error) {
	if err := cond.check(); err != nil {
		return "", err
	}
	parts := make([]types.CompletedPart, len(m.parts))
	for i, p := range m.parts {
		parts[i] = types.CompletedPart{ETag: aws.String(p.ETag), PartNumber: aws.Int32(p.Number)}
	}
	out, err := m.s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &m.s.bucket, Key: aws.String(m.s.Key(m.key)), UploadId: &m.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfMatch:         optional(cond.IfMatch), IfNoneMatch: optional(cond.IfNoneMatch),
	})
	if err != nil {
		return "", writeError(err, cond)
	}
	return aws.ToString(out.ETag), nil
}

// Abort drops the upload and its parts. An upload that is already gone
// (completed, or aborted by another process) is not an error.
func (m *Multipart) Abort(ctx context.Context) error {
	_, err := m.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &m.s.bucket, Key: aws.String(m.s.Key(m.key)), UploadId: &m.id,
	})
	if err = s3Error(err); errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// writeError maps a write's error: with IfMatch, S3 answers a missing
// object with NoSuchKey, which is the condition failing.
func writeError(err error, cond Conditions) error {
	err = s3Error(err)
	if cond.IfMatch != "" && errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
	}
	return err
}

// optional is s as an optional field of a request: nil when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrInvalidKey
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.Key(key))})
	if err = s3Error(err); errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		full := s.prefix + "/"
		if s.prefix == "" {
			full = ""
		}
		full += prefix
		p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(full)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				yield(Info{}, s3Error(err))
				return
			}
			for _, o := range page.Contents {
				info := Info{
					Key:     s.unkey(aws.ToString(o.Key)),
					Size:    aws.ToInt64(o.Size),
					ModTime: aws.ToTime(o.LastModified),
					ETag:    aws.ToString(o.ETag),
				}
				if !yield(info, nil) {
					return
				}
			}
		}
	}
}

// s3Error maps the API's errors onto the package's; others (the network,
// a timeout) are returned as they are.
func s3Error(err error) error {
	if err == nil {
		return nil
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotModified {
		return fmt.Errorf("%w: %w", ErrNotModified, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchUpload":
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
		case "InvalidRange":
			return fmt.Errorf("%w: %w", ErrRangeNotSatisfiable, err)
		case "ObjectParentIsFile", "ExistingObjectIsDirectory":
			return fmt.Errorf("%w: %w", ErrKeyConflict, err)
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden",
			"InvalidToken", "ExpiredToken": // refused session tokens
			return fmt.Errorf("%w: %w", ErrAccessDenied, err)
		case "AccessControlListNotSupported":
			return fmt.Errorf("%w: %w", ErrACLNotSupported, err)
		}
	}
	if errors.As(err, &status) {
		switch status.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %w", ErrAccessDenied, err)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("%w: %w", ErrPreconditionFailed, err)
		}
	}
	return err
}
