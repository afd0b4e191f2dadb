package uploadsig

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/signedgate/gateway/internal/verify"
)

// Delivery signature lengths: a prefix of the URL-safe base64 digest.
const (
	shortSigLen = 8  // SHA-1, the SDK default
	longSigLen  = 32 // SHA-256, "long_url_signature" in the SDKs
)

// DeliveryPath is a parsed delivery URL path:
//
//	/<cloud>/<resource_type>/<type>/[s--SIG--/][<transformation>/][v<version>/]<public_id>.<ext>
//
// Fields keep the percent-encoding of the URL, because the signature covers
// the public id exactly as it appears there; decode PublicID only to look the
// asset up.
type DeliveryPath struct {
	Cloud        string
	ResourceType string
	Type         string
	// Signature is the SIG in s--SIG--, empty when the URL is unsigned.
	Signature string
	// Transformation holds the "/"-separated transformation segments.
	Transformation []string
	// Version is the digits after "v", kept as a string so leading zeros
	// and very large values survive; empty when absent.
	Version string
	// PublicID includes folders and the extension, e.g. "dogs/rex.jpg".
	PublicID string
}

// ErrMalformedPath is returned for paths that are not delivery URLs; the
// server answers them as not found rather than as a signature problem.
var ErrMalformedPath = errors.New("malformed delivery path")

// ParseDeliveryPath splits an escaped URL path (url.URL.EscapedPath) into
// its parts. The leading "/" is optional.
//
// Transformation and folders are told apart the way Cloudinary does it:
//   - A version segment ("v" and digits) ends the transformation, provided
//     every segment before it looks like a transformation; everything after
//     it is the public id. A "v2" folder inside a public id is therefore
//     never mistaken for the version.
//   - Without such a version segment, the leading segments that look like
//     transformations (every comma-separated component is "x_..." with a
//     one to three letter key, or a "$variable") are the transformation and
//     the rest is the public id. A folder named like a transformation
//     ("my_photos") is ambiguous here; the SDKs add "v1" to URLs of
//     foldered public ids for exactly this reason.
//
// The last segment always belongs to the public id. Empty, "." and ".."
// segments are refused: no SDK produces them and they invite path games
// further down.
func ParseDeliveryPath(path string) (DeliveryPath, error) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 4 {
		return DeliveryPath{}, ErrMalformedPath
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return DeliveryPath{}, ErrMalformedPath
		}
	}
	d := DeliveryPath{Cloud: segs[0], ResourceType: segs[1], Type: segs[2]}
	rest := segs[3:]
	if sig, ok := signatureSegment(rest[0]); ok {
		if sig == "" || len(rest) < 2 {
			return DeliveryPath{}, ErrMalformedPath
		}
		d.Signature = sig
		rest = rest[1:]
	}

	// n counts the leading transformation-looking segments, never the last.
	n := 0
	for n < len(rest)-1 && looksLikeTransformation(rest[n]) {
		n++
	}
	if n > 0 {
		d.Transformation = rest[:n:n]
	}
	rest = rest[n:]
	if len(rest) > 1 && isVersion(rest[0]) {
		d.Version = rest[0][1:]
		rest = rest[1:]
	}
	d.PublicID = strings.Join(rest, "/")
	return d, nil
}

// signatureSegment recognises "s--SIG--".
func signatureSegment(seg string) (string, bool) {
	if len(seg) < len("s----") || !strings.HasPrefix(seg, "s--") || !strings.HasSuffix(seg, "--") {
		return "", false
	}
	return seg[3 : len(seg)-2], true
}

func isVersion(seg string) bool {
	if len(seg) < 2 || seg[0] != 'v' {
		return false
	}
	for i := 1; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return false
		}
	}
	return true
}

// looksLikeTransformation reports whether every comma-separated component
// of seg is a transformation parameter: "c_fill", "w_100", "if_w_gt_100",
// "$v_10". Cloudinary's parameter keys are one to three lowercase letters,
// which keeps folders like "summer_2020" out.
func looksLikeTransformation(seg string) bool {
	for comp := range strings.SplitSeq(seg, ",") {
		if strings.HasPrefix(comp, "$") && len(comp) > 1 {
			continue
		}
		key, _, ok := strings.Cut(comp, "_")
		if !ok || len(key) < 1 || len(key) > 3 {
			return false
		}
		for i := 0; i < len(key); i++ {
			if key[i] < 'a' || key[i] > 'z' {
				return false
			}
		}
	}
	return true
}

// SignedPart is the string the delivery signature covers:
// "<transformation>/<public_id>.<ext>", without the version.
func (d DeliveryPath) SignedPart() string {
	if len(d.Transformation) == 0 {
		return d.PublicID
	}
	return strings.Join(d.Transformation, "/") + "/" + d.PublicID
}

// String rebuilds the escaped path, with a leading "/".
func (d DeliveryPath) String() string {
	parts := []string{"", d.Cloud, d.ResourceType, d.Type}
	if d.Signature != "" {
		parts = append(parts, "s--"+d.Signature+"--")
	}
	parts = append(parts, d.Transformation...)
	if d.Version != "" {
		parts = append(parts, "v"+d.Version)
	}
	parts = append(parts, d.PublicID)
	return strings.Join(parts, "/")
}

// SignDelivery computes the SIG of a delivery URL: the first 8 characters
// of the URL-safe base64 SHA-1 of signedPart+secret, or with SHA256 the
// first 32 characters of the SHA-256 form.
func SignDelivery(signedPart, secret string, algo Algorithm) string {
	n := shortSigLen
	if algo == SHA256 {
		n = longSigLen
	}
	return base64.RawURLEncoding.EncodeToString(digest(signedPart, secret, algo))[:n]
}

// VerifyDelivery checks a delivery signature; the length of sig selects the
// algorithm. It returns a 401 *verify.Refusal on any mismatch.
func VerifyDelivery(signedPart, sig, secret string) error {
	var algo Algorithm
	switch len(sig) {
	case shortSigLen:
		algo = SHA1
	case longSigLen:
		algo = SHA256
	default:
		return invalidDeliverySignature()
	}
	want := SignDelivery(signedPart, secret, algo)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return invalidDeliverySignature()
	}
	return nil
}

func invalidDeliverySignature() *verify.Refusal {
	return verify.Refuse(http.StatusUnauthorized, CodeInvalidSignature, "Invalid delivery signature")
}
