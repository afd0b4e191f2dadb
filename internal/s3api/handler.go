package s3api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/cors"
	"github.com/signedgate/gateway/internal/proxy/origin"
	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/server/fastlane"
)

// Prefix is the path the endpoint answers under: SDKs take
// <public URL>/s3 as their endpoint, with path-style addressing.
const Prefix = "/s3"

// RouteName labels the endpoint's requests in metrics.
const RouteName = "s3"

// Keys finds an access key by id.
type Keys interface {
	Lookup(ctx context.Context, id string) (AccessKey, bool, error)
}

// Handler serves the S3-compatible endpoint. Its fields are read-only
// once in use.
type Handler struct {
	Buckets bucket.Finder
	Keys    Keys
	// Origins read objects as bucket delivery does: r.URL.Path is the
	// object's path.
	Origins origin.Handlers
	Stores  *Stores
	// Region is the region clients sign for (GATEWAY_S3_API_REGION).
	Region string
	// Host, when set (GATEWAY_S3_API_HOST, lower case, no port), is a host
	// name of the endpoint's own: requests to it are path style without
	// the /s3 prefix (endpoint http://<Host>), and requests to
	// <bucket>.<Host> virtual-host style (the SDKs' default addressing).
	Host string
	// Debug adds the string to sign and the canonical request to
	// SignatureDoesNotMatch answers.
	Debug bool
	// MaxObjectBytes bounds one PutObject's body.
	MaxObjectBytes int64
	// CacheControl is set on objects read with a presigned URL unless the
	// origin's own is already private or no-store; answers to
	// header-signed requests are always private.
	CacheControl string
	Now          func() time.Time
	// Refusals counts refused requests by flow and reason; nil counts none.
	Refusals *prometheus.CounterVec
}

// corsEndpoint is what pages of other origins may do: read, and upload
// with a presigned PUT (or a header-signed one from a browser SDK).
var corsEndpoint = cors.NewEndpoint(
	[]string{http.MethodGet, http.MethodHead, http.MethodPut},
	append(append([]string(nil), cors.ReadRequestHeaders...),
		"Content-MD5", "Content-Disposition", "Content-Encoding", "Expires",
		"X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-User-Agent", "X-Amz-Security-Token",
		"X-Amz-Checksum-Crc32", "X-Amz-Checksum-Crc32c", "X-Amz-Checksum-Sha1", "X-Amz-Checksum-Sha256",
		"X-Amz-Checksum-Crc64nvme", "X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Decoded-Content-Length",
		"Amz-Sdk-Invocation-Id", "Amz-Sdk-Request"),
	[]string{"ETag", "Content-Range", "Content-Length", "Accept-Ranges", "Last-Modified",
		"X-Amz-Request-Id", "X-Amz-Checksum-Crc32", "X-Amz-Checksum-Crc32c", "X-Amz-Checksum-Sha1",
		"X-Amz-Checksum-Sha256", "X-Amz-Checksum-Crc64nvme"},
)

// Router claims /s3 and every path under /s3/, ahead of the mux: the mux
// would answer paths with dot segments or double slashes with a redirect,
// and S3 clients expect S3's answers.
func (h *Handler) Router() server.Router { return router{h} }

type router struct{ h *Handler }

func (rt router) Route(r *http.Request) (http.Handler, string) {
	if rt.h.ownHost(hostOf(r.Host)) {
		return rt.h, RouteName
	}
	if r.URL.Path == Prefix || strings.HasPrefix(r.URL.Path, Prefix+"/") || strings.HasPrefix(r.URL.EscapedPath(), Prefix+"/") {
		return rt.h, RouteName
	}
	return nil, ""
}

// ownHost reports whether host is Host or one of its buckets' names.
func (h *Handler) ownHost(host string) bool {
	return h.Host != "" && (host == h.Host || strings.HasSuffix(host, "."+h.Host))
}

// hostOf is a Host header's name, lower case, without port or final dot.
func hostOf(hostHeader string) string {
	host := hostHeader
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// split reads the bucket and key r addresses: from the host and the path
// (virtual-host style), or from the path after the endpoint's prefix
// (path style).
func (h *Handler) split(r *http.Request) (bucketName, key string) {
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	if h.Host != "" {
		host := hostOf(r.Host)
		if b, ok := strings.CutSuffix(host, "."+h.Host); ok {
			return b, strings.TrimPrefix(r.URL.Path, "/")
		}
		if host == h.Host {
			rest = strings.TrimPrefix(r.URL.Path, "/")
		}
	}
	bucketName, key, _ = strings.Cut(rest, "/")
	return bucketName, key
}

// FastRoute leaves the endpoint to net/http: objects stream there.
func (rt router) FastRoute(req *fastlane.Request, _ *fastlane.Response) (string, fastlane.Verdict) {
	if req.Path == Prefix || strings.HasPrefix(req.Path, Prefix+"/") {
		return RouteName, fastlane.Slow
	}
	return "", fastlane.Pass
}

// request is one request to the endpoint, as routing read it.
type request struct {
	target
	op string // S3's name of the operation, such as GetObject
	// query is the request's query, parsed once.
	query url.Values
	// permission is what the key must carry for op.
	permission string
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ew := errorWriter{debug: h.Debug}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if id := requestID(r); id != "" {
		w.Header().Set("X-Amz-Request-Id", id)
	}
	bucketName, key := h.split(r)
	req, err := route(r, bucketName, key)
	if err != nil {
		ew.write(w, r, req.target, err)
		return
	}
	if err := h.serve(w, r, req); err != nil {
		ew.write(w, r, req.target, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req request) error {
	if cors.IsPreflight(r) {
		return h.preflight(w, r, req)
	}
	b, c, err := h.authenticate(r, req)
	if err != nil {
		if b != nil {
			corsEndpoint.Actual(w.Header(), b.CORS, r)
		}
		return err
	}
	corsEndpoint.Actual(w.Header(), b.CORS, r)
	switch req.op {
	case "GetObject", "HeadObject":
		return h.getObject(w, r, *b, req, c)
	case "PutObject":
		return h.putObject(w, r, *b, req, c)
	case "DeleteObject":
		return h.deleteObject(w, r, *b, req)
	case "ListObjectsV2", "ListObjects":
		return h.listObjects(w, r, *b, req)
	case "HeadBucket":
		w.Header().Set("X-Amz-Bucket-Region", h.Region)
		w.WriteHeader(http.StatusOK)
		return nil
	case "GetBucketLocation":
		w.Header().Set("X-Amz-Bucket-Region", h.Region)
		loc := locationConstraint{Region: h.Region}
		if h.Region == "us-east-1" {
			loc.Region = "" // S3 answers an empty constraint for us-east-1
		}
		writeXML(w, r, http.StatusOK, loc)
		return nil
	}
	return notImplemented(req.op)
}

type locationConstraint struct {
	XMLName struct{} `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// preflight answers a CORS preflight from the bucket's rule alone: a
// browser sends it without credentials.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, req request) error {
	if req.bucket == "" {
		return accessDenied("CORS is set per bucket; name one")
	}
	b, ok, err := h.Buckets.Lookup(r.Context(), req.bucket)
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return s3Error(http.StatusForbidden, CodeAccessForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	}
	return corsEndpoint.Preflight(w, r, b.CORS)
}

func unavailable(err error) error {
	return server.WrapError(err, http.StatusServiceUnavailable, CodeServiceUnavailable,
		"the record store does not answer; try again").WithHeader("Retry-After", "1")
}

// Query parameters that name an operation this endpoint does not offer
// (object ACLs, tagging, multipart uploads, versions, ...).
var subresources = map[string]string{
	"acl": "ACLs", "tagging": "Tagging", "uploads": "Multipart uploads", "uploadId": "Multipart uploads",
	"partNumber": "Part reads", "versionId": "Versions", "versions": "Versions", "attributes": "GetObjectAttributes",
	"retention": "Object Lock", "legal-hold": "Object Lock", "torrent": "Torrents", "restore": "RestoreObject",
	"select": "SelectObjectContent", "policy": "Bucket policies", "cors": "Bucket CORS through S3 (set it with PUT /v1/buckets/{name})",
	"lifecycle": "Lifecycle", "website": "Websites", "notification": "Notifications", "delete": "DeleteObjects",
	"replication": "Replication", "encryption": "Bucket encryption", "logging": "Logging", "object-lock": "Object Lock",
	"ownershipControls": "Ownership controls", "publicAccessBlock": "Public access blocks", "requestPayment": "Request payment",
	"accelerate": "Transfer acceleration", "analytics": "Analytics", "inventory": "Inventory", "metrics": "Metrics",
	"intelligent-tiering": "Intelligent tiering", "session": "CreateSession", "renameObject": "RenameObject",
}

// route reads the operation of r on bucketName and key.
func route(r *http.Request, bucketName, key string) (request, error) {
	req := request{target: target{bucket: bucketName, key: key}}
	if req.bucket == "" {
		if r.Method == http.MethodGet {
			return req, notImplemented("ListBuckets (each access key opens one bucket, named in the admin API)")
		}
		return req, notImplemented(r.Method + " on the service")
	}
	if err := bucket.ValidateName(req.bucket); err != nil {
		return req, s3Error(http.StatusBadRequest, CodeInvalidBucketName, "The specified bucket is not valid.")
	}
	q := r.URL.Query()
	req.query = q
	for name := range q {
		if what, ok := subresources[name]; ok {
			if name == "versionId" && q.Get(name) == "null" {
				continue // the only version there is
			}
			return req, notImplemented(what)
		}
	}
	method := r.Method
	if cors.IsPreflight(r) {
		method = r.Header.Get("Access-Control-Request-Method")
	}
	if req.key == "" {
		switch {
		case method == http.MethodGet && q.Has("location"):
			req.op, req.permission = "GetBucketLocation", Read
		case method == http.MethodGet && q.Get("list-type") == "2":
			req.op, req.permission = "ListObjectsV2", Read
		case method == http.MethodGet && !q.Has("list-type"):
			req.op, req.permission = "ListObjects", Read
		case method == http.MethodHead:
			req.op, req.permission = "HeadBucket", Read
		case method == http.MethodGet:
			return req, s3Error(http.StatusBadRequest, CodeInvalidArgument, "list-type must be 2 or absent")
		default:
			return req, notImplemented(method + " on a bucket")
		}
		return req, nil
	}
	switch method {
	case http.MethodGet:
		req.op, req.permission = "GetObject", Read
	case http.MethodHead:
		req.op, req.permission = "HeadObject", Read
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return req, notImplemented("CopyObject")
		}
		req.op, req.permission = "PutObject", Write
	case http.MethodDelete:
		req.op, req.permission = "DeleteObject", Write
	default:
		return req, notImplemented(method + " on an object")
	}
	return req, nil
}

// validKey reports whether key may be read or written here: a key the
// storage accepts (objects.ValidKey) with no hidden segment.
func validKey(key string) bool {
	return objectsValidKey(key) && !strings.HasPrefix(key, ".") && !strings.Contains(key, "/.")
}
