// Package sigv4 owns the gateway's check of AWS Signature Version 4 as S3
// speaks it: presigned URLs (query authentication) and the Authorization
// header of S3 clients, the chunk signatures of aws-chunked uploads, and the
// signing side the CLI, tests and docs use (Presign, SignHeaders).
//
// The package is pure: no I/O but the io.Reader wrappers of request bodies,
// no HTTP handlers, no store; the caller passes the secret and the clock.
// An endpoint authenticates a request in three steps:
//
//	a, err := sigv4.Parse(req)            // syntax only, no hashing; ErrNoAuth when anonymous
//	secret := lookup(a.Credential.AccessKeyID) // unknown: sigv4.ErrInvalidAccessKeyID
//	err = sigv4.Verify(req, a, secret, region, time.Now())
//
// then reads the body through NewPayloadReader (a hex x-amz-content-sha256)
// or NewChunkedReader (the STREAMING-* forms), committing what it stored
// only at io.EOF. Refusals are *verify.Refusal values with S3's codes and
// messages, so SDKs raise their usual exceptions; a wrong signature is a
// *Mismatch carrying what the gateway signed, for S3's debug elements.
//
// Decisions where the wire leaves room, each for a reason:
//
//   - The canonical URI decodes each path segment once and encodes it
//     again (S3 does not double-encode), so "$" and "%24" sign alike, as on
//     S3; an encoded slash stays inside its segment.
//   - In the query, '+' is a space: every form decoder, and so the
//     endpoint's r.URL.Query(), reads it so, and the signature must cover
//     the value the gateway acts on. SDKs always send a literal plus as %2B.
//     A query that does not percent-decode is refused rather than guessed.
//   - host is always signed and compared as received (Request.Host); a
//     proxy in front must pass the client's Host on.
//   - Header authentication must sign every x-amz-* header sent (S3's
//     rule; else a captured request could be replayed with other metadata
//     within the skew window), except X-Amz-Cf-Id, which CloudFront adds.
//   - A presigned URL is valid from X-Amz-Date minus MaxSkew (a presigner's
//     clock a few minutes fast must not break its links) to X-Amz-Date plus
//     X-Amz-Expires, which is 1 to 604800 seconds. Header authentication
//     allows MaxSkew either way.
//   - X-Amz-Content-Sha256 in a presigned query (the JavaScript SDK sends
//     UNSIGNED-PAYLOAD) is what the presigner signed as the payload hash.
//     Other query parameters, such as the x-amz-checksum-crc32 of an empty
//     body that current SDKs put into presigned PUTs, are signed like any
//     parameter and not judged here.
//   - Temporary credentials (X-Amz-Security-Token) are refused: the
//     gateway issues none, so a token means a client set up for AWS itself.
//
// Signing keys are derived once per secret, day and region and kept in a
// bounded cache (Keys), keyed by the secret's hash; with it a check costs
// one SHA-256 of the canonical request and one HMAC, written so that the
// hot path allocates only the parsed Auth (and, for a presigned URL, its
// decoded X-Amz-Credential).
package sigv4
