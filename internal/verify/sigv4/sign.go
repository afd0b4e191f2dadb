package sigv4

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PresignInput is a request to presign, as an SDK's presigner takes it.
type PresignInput struct {
	Method        string
	URL           string // absolute, path already as the client sends it
	AccessKeyID   string
	Secret        string
	Region        string
	Time          time.Time
	Expires       time.Duration // whole seconds, 1 s to 7 days
	SignedHeaders http.Header   // headers to sign besides host (the client must send them); may be nil
}

// Explanation is what a signature was computed over, for --explain and
// for debugging a client's own signer.
type Explanation struct{ CanonicalRequest, StringToSign, Signature string }

// Presign returns in.URL with the X-Amz-* parameters of a presigned URL,
// signed as the AWS SDKs sign them; the URL's own query parameters are
// signed too (and written out in canonical form).
func Presign(in PresignInput) (signedURL string, explain Explanation, err error) {
	u, host, err := parseSigningURL(in.URL)
	if err != nil {
		return "", Explanation{}, err
	}
	if err := checkSigningInput(in.Method, in.AccessKeyID, in.Secret, in.Region, in.Time); err != nil {
		return "", Explanation{}, err
	}
	if in.Expires%time.Second != 0 || in.Expires < time.Second || in.Expires > MaxExpires {
		return "", Explanation{}, fmt.Errorf("expiry %v: must be whole seconds from 1s to %v (7 days)", in.Expires, MaxExpires)
	}
	q, err := scanQuery(u.RawQuery)
	if err != nil {
		return "", Explanation{}, fmt.Errorf("URL query: %w", err)
	}
	if q.has&^pContentSHA256 != 0 || q.sigV2 {
		return "", Explanation{}, errors.New("the URL already carries authentication parameters")
	}
	payloadHash := UnsignedPayload
	if q.has&pContentSHA256 != 0 {
		// Signed as the payload hash, as Parse will read it.
		if payloadHash = unescape(q.contentSHA256); payloadHash != UnsignedPayload && !isHexSHA256(payloadHash) {
			return "", Explanation{}, errors.New("X-Amz-Content-Sha256 in the URL must be UNSIGNED-PAYLOAD or a hex SHA-256")
		}
	}
	names, err := headerNames(in.SignedHeaders)
	if err != nil {
		return "", Explanation{}, err
	}
	t := in.Time.UTC()
	c := Credential{AccessKeyID: in.AccessKeyID, Date: t.Format("20060102"), Region: in.Region, Service: Service}
	raw := u.RawQuery
	for _, p := range [...][2]string{
		{"X-Amz-Algorithm", Algorithm},
		{"X-Amz-Credential", c.AccessKeyID + "/" + string(appendScope(nil, c))},
		{"X-Amz-Date", t.Format(amzDateLayout)},
		{"X-Amz-Expires", strconv.FormatInt(int64(in.Expires/time.Second), 10)},
		{"X-Amz-SignedHeaders", strings.Join(names, ";")},
	} {
		if raw != "" {
			raw += "&"
		}
		raw += p[0] + "=" + awsEncode(p[1])
	}
	req := &Request{Method: in.Method, Host: host, EscapedPath: u.EscapedPath(), RawQuery: raw, Header: in.SignedHeaders}
	ex := sign(req, names, payloadHash, true, in.Secret, t, c)
	// The canonical query is a valid query with the same meaning; with the
	// signature in its sorted place it is the URL the JavaScript SDK writes.
	query := strings.SplitN(ex.CanonicalRequest, "\n", 4)[2]
	params := strings.Split(query, "&")
	i, _ := slices.BinarySearchFunc(params, "X-Amz-Signature", func(p, name string) int {
		n, _, _ := strings.Cut(p, "=")
		return strings.Compare(n, name)
	})
	params = slices.Insert(params, i, "X-Amz-Signature="+ex.Signature)
	signedURL = u.Scheme + "://" + host + canonicalPathOrSlash(u.EscapedPath()) + "?" + strings.Join(params, "&")
	return signedURL, ex, nil
}

// SignHeaders signs a request with header authentication, as an SDK's
// client does: it sets X-Amz-Date, X-Amz-Content-Sha256 (payloadHash; ""
// means UNSIGNED-PAYLOAD) and Authorization in h, and signs host and every
// header in h but the few that proxies change (User-Agent, Expect, ...).
func SignHeaders(h http.Header, method, rawURL string, payloadHash, accessKeyID, secret, region string, t time.Time) error {
	u, host, err := parseSigningURL(rawURL)
	if err != nil {
		return err
	}
	if err := checkSigningInput(method, accessKeyID, secret, region, t); err != nil {
		return err
	}
	if payloadHash == "" {
		payloadHash = UnsignedPayload
	}
	t = t.UTC()
	h.Del("Authorization")
	h.Set("X-Amz-Date", t.Format(amzDateLayout))
	h.Set("X-Amz-Content-Sha256", payloadHash)
	names, err := headerNames(h)
	if err != nil {
		return err
	}
	c := Credential{AccessKeyID: accessKeyID, Date: t.Format("20060102"), Region: region, Service: Service}
	req := &Request{Method: method, Host: host, EscapedPath: u.EscapedPath(), RawQuery: u.RawQuery, Header: h}
	ex := sign(req, names, payloadHash, false, secret, t, c)
	h.Set("Authorization", Algorithm+" Credential="+accessKeyID+"/"+string(appendScope(nil, c))+
		", SignedHeaders="+strings.Join(names, ";")+", Signature="+ex.Signature)
	return nil
}

func sign(req *Request, names []string, payloadHash string, presigned bool, secret string, t time.Time, c Credential) Explanation {
	s := getScratch()
	defer putScratch(s)
	s.cr = appendCanonicalRequest(s.cr[:0], s, req, names, payloadHash, presigned)
	key := Keys.key(s, secret, c.Date, c.Region)
	sig := signWithKey(s, &key, t, c)
	return Explanation{CanonicalRequest: string(s.cr), StringToSign: string(s.sts[64:]), Signature: hex.EncodeToString(sig[:])}
}

// parseSigningURL checks an absolute http(s) URL and returns the host its
// clients send: browsers and SDKs leave out a default port.
func parseSigningURL(rawURL string) (*url.URL, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, "", fmt.Errorf("%q is not an absolute http(s) URL without credentials", rawURL)
	}
	host := u.Host
	if p := u.Port(); p == "80" && u.Scheme == "http" || p == "443" && u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return u, host, nil
}

func checkSigningInput(method, accessKeyID, secret, region string, t time.Time) error {
	switch {
	case method == "" || strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "":
		return fmt.Errorf("method %q: must be upper-case letters, such as GET", method)
	case accessKeyID == "" || strings.Contains(accessKeyID, "/"):
		return errors.New("access key id: must be non-empty, without '/'")
	case secret == "":
		return errors.New("secret: must be non-empty")
	case region == "" || strings.Contains(region, "/"):
		return errors.New("region: must be non-empty, without '/'")
	case t.IsZero():
		return errors.New("signing time: must be set")
	}
	return nil
}

// unsignedHeaders are headers that a client's HTTP stack or a proxy may
// add or change after signing; the SDKs leave them out too.
var unsignedHeaders = map[string]bool{
	"authorization": true, "user-agent": true, "expect": true, "transfer-encoding": true,
	"x-amzn-trace-id": true, "connection": true, "content-length": true,
}

// headerNames is host plus the lower-cased names of h's headers to sign,
// sorted.
func headerNames(h http.Header) ([]string, error) {
	names := []string{"host"}
	for k := range h {
		name := strings.ToLower(k)
		if name == "host" {
			return nil, errors.New("the host header is signed from the URL; do not pass one")
		}
		if !validHeaderName(name) {
			return nil, fmt.Errorf("header name %q is not a valid header name", k)
		}
		if !unsignedHeaders[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func canonicalPathOrSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
