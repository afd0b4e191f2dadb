// Package s3api owns the gateway's S3-compatible endpoint, the fourth
// signing dialect: SDKs and tools that presign or sign S3 requests (every
// AWS SDK, boto3, the AWS CLI) work on the gateway's buckets by pointing
// their endpoint at <public URL>/s3 with path-style addressing.
//
// It holds the access keys (keys.go: records; keys_api.go: their admin
// calls), the routing of /s3/{bucket}/{key...} to an operation
// (handler.go), authentication (auth.go: SigV4 through
// internal/verify/sigv4, then the key's bucket and permission), the
// operations (object.go: GetObject and HeadObject through the bucket's
// origin, as bucket delivery reads it; put.go: PutObject streamed to the
// bucket's storage; list.go: ListObjectsV2 and ListObjects), and answers in
// S3's XML with S3's error codes (errors.go).
//
// Order of checks: the path names a bucket (400 InvalidBucketName), the
// request is authenticated (400 for malformed parameters, 403
// InvalidAccessKeyId for an unknown key, 403 SignatureDoesNotMatch, 403
// AccessDenied when expired), the key is the bucket's (403 AccessDenied),
// the bucket exists (404 NoSuchBucket), the key may do the operation (403
// AccessDenied), then the operation. No anonymous request is served: a
// bucket's existence is not told to whoever asks.
//
// Keys whose segments are empty, "." or "..", or start with "." are
// neither read, written nor listed: a bucket's directory also holds the
// gateway's own hidden files (uploaded assets' records, private assets,
// files being written), and bucket delivery refuses them the same way.
package s3api
