// Package upload owns the Cloudinary-compatible upload side of the gateway:
// upload API keys and unsigned upload presets (their records and admin
// calls), the POST /v1_1/{cloud}/{resource_type}/{upload|destroy} endpoint
// with its request parsing, authentication, storage into the key's bucket
// (its directory, or its S3 bucket: see internal/upload/assets), chunked
// uploads (chunk.go; into S3, S3 multipart uploads: chunk_s3.go), and the
// Cloudinary error and result bodies the SDKs decode. Signature rules live in internal/verify/uploadsig; delivery of the
// stored assets lives in internal/upload/delivery.
package upload
