// Package uploadsig owns the Cloudinary-compatible signature rules of the
// gateway: how upload parameters are collected and turned into the string to
// sign, how upload and response signatures are computed and checked, the
// freshness rule for the signed timestamp, and the parsing and checking of
// signed delivery URLs (s--SIG--).
//
// The package is pure: no I/O, no HTTP handlers. Callers pass the clock
// and the secret; refusals are *verify.Refusal values with the status and
// the exact message the Cloudinary SDKs show to users, which the one error
// writer answers in Cloudinary's body format.
//
// The hashes here are hash(message + secret), not HMAC. That is the wire
// format every Cloudinary SDK produces, so the gateway must accept it; the
// secret is a suffix, which keeps length-extension attacks off the table.
package uploadsig
