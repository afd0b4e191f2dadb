// Package upload owns the Cloudinary-compatible upload side of the gateway:
// upload API keys and unsigned upload presets (their records and admin
// calls), the POST /v1_1/{cloud}/{resource_type}/{upload|destroy} endpoint
// with its request parsing, authentication, storage into the key's bucket,
// chunked uploads, and the Cloudinary error and result bodies the SDKs
// decode. Signature rules live in internal/verify/uploadsig; delivery of the
// stored assets lives in internal/upload/delivery.
package upload
