package urlsig

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// DecodeJob turns the raw job parameter into the job's JSON bytes.
//
// Call it only after Verify succeeds: it is deliberately lenient, and
// leniency is safe only on bytes the secret's owner vouched for. It
// accepts the URL-safe and standard alphabets and any mix of the two
// (Node's SDK URL-safes only the first "+" and the first "/"), with or
// without "=" padding (Python keeps it), and undoes one layer of
// percent-encoding that proxies sometimes add ("%3D", "%2B", "%2F").
func DecodeJob(rawJob string) ([]byte, error) {
	s := rawJob
	if strings.IndexByte(s, '%') >= 0 {
		// PathUnescape, not QueryUnescape: "+" is base64 here, not a space.
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, ErrInvalidJob
		}
		s = u
	}
	// A space can only be a "+" some layer form-decoded; base64 has none.
	s = strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	s = strings.TrimSuffix(s, "=")
	s = strings.TrimSuffix(s, "=")
	// The decoder skips CR and LF; refuse them instead, so "\r" cannot
	// pass as an empty job and a job has one spelling per alphabet.
	if s == "" || strings.ContainsFunc(s, notBase64) {
		return nil, ErrInvalidJob
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, ErrInvalidJob
	}
	return b, nil
}

func notBase64(r rune) bool {
	return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/')
}
