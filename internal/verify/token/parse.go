package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// b64 rejects padding and non-zero trailing bits, so each token has one
// spelling and cannot be varied to dodge the cache.
var b64 = base64.RawURLEncoding.Strict()

type parts struct {
	header, payload, signature string
	signed                     string // header "." payload
}

func split(token string) (parts, error) {
	i := strings.IndexByte(token, '.')
	if i < 0 {
		return parts{}, ErrMalformed
	}
	j := strings.IndexByte(token[i+1:], '.')
	if j < 0 {
		return parts{}, ErrMalformed
	}
	j += i + 1
	if strings.IndexByte(token[j+1:], '.') >= 0 {
		return parts{}, ErrMalformed
	}
	return parts{
		header:    token[:i],
		payload:   token[i+1 : j],
		signature: token[j+1:],
		signed:    token[:j],
	}, nil
}

type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Crit json.RawMessage `json:"crit"`
}

func decodeHeader(s string) (header, error) {
	var h header
	if err := decodeJSON(s, &h); err != nil {
		return header{}, err
	}
	// RFC 7515 4.1.11: extensions we do not understand must not be
	// ignored, and we understand none.
	if h.Crit != nil {
		return header{}, ErrMalformed
	}
	return h, nil
}

type payload struct {
	URI string   `json:"uri"`
	Exp *float64 `json:"exp"`
	Nbf *float64 `json:"nbf"`
}

func decodePayload(s string) (Claims, error) {
	var p payload
	if err := decodeJSON(s, &p); err != nil {
		return Claims{}, err
	}
	return Claims{URI: p.URI, ExpiresAt: numericDate(p.Exp), NotBefore: numericDate(p.Nbf)}, nil
}

// maxDate keeps absurd dates inside time.Time's range; it is year 287396.
const maxDate = 1 << 53

func numericDate(f *float64) time.Time {
	if f == nil {
		return time.Time{}
	}
	v := math.Max(math.Min(*f, maxDate), -maxDate)
	sec, frac := math.Modf(v)
	t := time.Unix(int64(sec), int64(frac*1e9))
	if t.IsZero() {
		// The zero time means "absent"; nudge a literal 0001-01-01 claim.
		t = t.Add(time.Nanosecond)
	}
	return t
}

// decodeJSON decodes one base64url JSON object; custom claims are skipped.
func decodeJSON(s string, v any) error {
	buf := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(buf, []byte(s))
	if err != nil {
		return ErrMalformed
	}
	buf = bytes.TrimLeft(buf[:n], " \t\r\n")
	// A JSON null would decode into the zero value without complaint.
	if len(buf) == 0 || buf[0] != '{' {
		return ErrMalformed
	}
	if json.Unmarshal(buf, v) != nil {
		return ErrMalformed
	}
	return nil
}

// decodeSignature only decodes: a signature of the wrong length is left
// for the RSA step to refuse, so that it reports bad_signature last.
func decodeSignature(s string) ([]byte, error) {
	sig := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(sig, []byte(s))
	if err != nil {
		return nil, ErrMalformed
	}
	return sig[:n], nil
}
