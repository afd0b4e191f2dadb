// Package token owns the check of bucket-delivery tokens: RS256 JWTs passed
// as the auth query parameter (Qencode style), the scope rule that decides
// which request paths a token's uri opens, and the cache of tokens already
// verified. It does no I/O and knows nothing of HTTP handlers: signing keys
// come from a KeyLookup the caller supplies, and the clock is a parameter.
//
// # Order of checks
//
// Verify runs the cheap checks first and the RSA verification last, so a
// flood of junk tokens costs little: token present, three base64url parts,
// header JSON, kid names a live key, the key belongs to the requested
// bucket, alg equals the key's pinned algorithm (RS256), payload JSON, scope
// of uri against the request path, exp and nbf with leeway, and then the
// signature. A cache hit skips only the signature: the key is looked up
// again (so a deleted key stops its tokens at once), and bucket, scope and
// time are checked against this request.
//
// # Reasons
//
// Every refusal is one of the *Error values below. Code is stable and meant
// for the response body and metrics; Status is the HTTP status to answer.
// Neither the token nor any key material ever appears in an error.
//
//	code             status  when
//	token_missing    401     no token was given
//	malformed_token  403     not three base64url parts, bad JSON, bad claim types, oversized
//	unknown_key      403     kid missing, or names no live key (never created, or deleted)
//	wrong_bucket     403     the key belongs to another bucket
//	bad_algorithm    403     alg is not the key's pinned RS256 (none, HS256, RS512, PS256, ...)
//	out_of_scope     403     the request path is not under uri, or is not canonical
//	expired          403     now >= exp + leeway
//	not_yet_valid    403     now < nbf - leeway
//	bad_signature    403     the RS256 signature does not verify with the key
//
// # Request paths
//
// The path given to Verify and InScope must be the path inside the bucket
// exactly as it will be served, already percent-decoded once. Paths that are
// not canonical (see CanonicalPath) are refused rather than cleaned, because
// any guess about how the origin will normalise them is a way out of scope.
package token
