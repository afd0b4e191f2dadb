package sigv4

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"
)

const (
	testKeyID  = "AKIAGATEWAYEXAMPLE01"
	testSecret = "gatewayExampleSecretKey0123456789abcdefgh"
	testRegion = "us-east-1"
	testURL    = "http://gateway.example:8080/s3/films/dir/a%20b.mp4?versionId=3"
)

var testTime = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

// refusalCode is the S3 code of err, or "" when err is no refusal.
func refusalCode(err error) string {
	var r *verify.Refusal
	if errors.As(err, &r) {
		return r.Code()
	}
	return ""
}

func presignForTest(t *testing.T, in PresignInput) string {
	t.Helper()
	if in.Method == "" {
		in.Method = "GET"
	}
	if in.URL == "" {
		in.URL = testURL
	}
	in.AccessKeyID, in.Secret = testKeyID, testSecret
	if in.Region == "" {
		in.Region = testRegion
	}
	if in.Time.IsZero() {
		in.Time = testTime
	}
	if in.Expires == 0 {
		in.Expires = time.Hour
	}
	u, _, err := Presign(in)
	if err != nil {
		t.Fatalf("Presign: %v", err)
	}
	return u
}

// resign replaces the signature of a presigned URL by a valid one for what
// the URL now says, so a test changes one thing at a time.
func resign(t *testing.T, method, rawURL string) string {
	t.Helper()
	req := requestFor(t, method, rawURL, nil)
	a, err := Parse(req)
	if err != nil {
		t.Fatalf("Parse(%s): %v", rawURL, err)
	}
	cr := CanonicalRequest(req, a.SignedHeaders, a.PayloadHash, true)
	scope := a.Credential.Date + "/" + a.Credential.Region + "/" + a.Credential.Service + "/aws4_request"
	sts := StringToSign(a.Time, scope, cr)
	key := SigningKey(testSecret, a.Credential.Date, a.Credential.Region, a.Credential.Service)
	sig := hmacSum(key, sts)
	old := "X-Amz-Signature=" + hex.EncodeToString(a.Signature)
	return strings.Replace(rawURL, old, "X-Amz-Signature="+hex.EncodeToString(sig), 1)
}

func TestPresignedRefusals(t *testing.T) {
	good := presignForTest(t, PresignInput{})
	if _, err := parseVerify(requestFor(t, "GET", good, nil), testSecret, testRegion, testTime); err != nil {
		t.Fatalf("the untouched URL: %v", err)
	}
	withHeader := presignForTest(t, PresignInput{Method: "PUT", SignedHeaders: http.Header{"Content-Type": {"video/mp4"}}})
	sig := good[strings.Index(good, "X-Amz-Signature=")+len("X-Amz-Signature="):][:64]
	flipped := strings.Replace(good, sig, sig[:10]+string("01"[strings.IndexByte("10", sig[10])&1])+sig[11:], 1)
	if flipped == good {
		flipped = strings.Replace(good, sig, sig[:10]+"f"+sig[11:], 1)
	}
	without := func(param string) string {
		i := strings.Index(good, param+"=")
		j := strings.IndexByte(good[i:], '&')
		if j < 0 {
			return good[:i-1]
		}
		return good[:i] + good[i+j+1:]
	}
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("%q is not in %s", old, good)
		}
		return strings.Replace(good, old, new, 1)
	}
	tests := []struct {
		name, method, url string
		header            http.Header
		secret, region    string
		now               time.Time
		code              string
		is                error
	}{
		{name: "tampered signature", url: flipped, is: ErrSignatureDoesNotMatch},
		{name: "another secret", url: good, secret: testSecret + "x", is: ErrSignatureDoesNotMatch},
		{name: "another region", url: good, region: "eu-west-1", code: CodeAuthorizationQueryParametersError},
		{name: "signed for another region", url: resign(t, "GET", replace("%2Fus-east-1%2F", "%2Feu-west-1%2F")), code: CodeAuthorizationQueryParametersError},
		{name: "another service", url: resign(t, "GET", replace("%2Fs3%2F", "%2Fs4%2F")), code: CodeAuthorizationQueryParametersError},
		{name: "another date in the scope", url: resign(t, "GET", replace("%2F20261206%2F", "%2F20261205%2F")), code: CodeAuthorizationQueryParametersError},
		{name: "expired", url: good, now: testTime.Add(time.Hour + time.Second), is: ErrExpired},
		{name: "not valid yet", url: good, now: testTime.Add(-MaxSkew - time.Second), is: ErrNotYetValid},
		{name: "expiry over a week", url: replace("X-Amz-Expires=3600", "X-Amz-Expires=604801"), is: ErrExpiresTooLong},
		{name: "expiry of years", url: replace("X-Amz-Expires=3600", "X-Amz-Expires=99999999999999999999"), is: ErrExpiresTooLong},
		{name: "expiry zero", url: replace("X-Amz-Expires=3600", "X-Amz-Expires=0"), code: CodeAuthorizationQueryParametersError},
		{name: "expiry negative", url: replace("X-Amz-Expires=3600", "X-Amz-Expires=-5"), code: CodeAuthorizationQueryParametersError},
		{name: "expiry not a number", url: replace("X-Amz-Expires=3600", "X-Amz-Expires=1h"), code: CodeAuthorizationQueryParametersError},
		{name: "expiry empty", url: replace("X-Amz-Expires=3600", "X-Amz-Expires="), code: CodeAuthorizationQueryParametersError},
		{name: "another algorithm", url: replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"), code: CodeAuthorizationQueryParametersError},
		{name: "date malformed", url: replace("X-Amz-Date=20261206T080000Z", "X-Amz-Date=2026-12-06T08:00:00Z"), code: CodeAuthorizationQueryParametersError},
		{name: "credential malformed", url: replace("%2Faws4_request", "%2Faws5_request"), code: CodeAuthorizationQueryParametersError},
		{name: "signature malformed", url: replace(sig, sig[:63]), code: CodeAuthorizationQueryParametersError},
		{name: "host not signed", url: replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range"), code: CodeAuthorizationQueryParametersError},
		{name: "parameter given twice", url: good + "&X-Amz-Date=20261206T080000Z", code: CodeAuthorizationQueryParametersError},
		{name: "method changed", method: "DELETE", url: good, is: ErrSignatureDoesNotMatch},
		{name: "path changed", url: replace("/a%20b.mp4", "/a%20c.mp4"), is: ErrSignatureDoesNotMatch},
		{name: "path case changed", url: replace("/films/", "/Films/"), is: ErrSignatureDoesNotMatch},
		{name: "host changed", url: replace("gateway.example:8080", "gateway.example:8081"), is: ErrSignatureDoesNotMatch},
		{name: "query parameter added", url: good + "&response-content-type=text/html", is: ErrSignatureDoesNotMatch},
		{name: "query parameter changed", url: replace("versionId=3", "versionId=4"), is: ErrSignatureDoesNotMatch},
		{name: "query parameter dropped", url: without("versionId"), is: ErrSignatureDoesNotMatch},
		{name: "signed header changed", method: "PUT", url: withHeader, header: http.Header{"Content-Type": {"text/html"}}, is: ErrSignatureDoesNotMatch},
		{name: "signed header missing", method: "PUT", url: withHeader, is: ErrSignatureDoesNotMatch},
		{name: "security token", url: good + "&X-Amz-Security-Token=abc", is: ErrSecurityToken},
		{name: "security token header", url: good, header: http.Header{"X-Amz-Security-Token": {"abc"}}, is: ErrSecurityToken},
		{name: "also an Authorization header", url: good, header: http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=x"}}, is: ErrTwoAuthMechanisms},
		{name: "bad percent-encoding", url: good + "&a=%zz", is: ErrInvalidQuery},
		{name: "signature version 2", url: "http://gateway.example:8080/s3/films/a.mp4?AWSAccessKeyId=AKIA&Expires=1&Signature=abc", is: ErrUnsupportedMechanism},
		{name: "anonymous", url: "http://gateway.example:8080/s3/films/a.mp4", is: ErrNoAuth},
	}
	for _, p := range presignedParams {
		tests = append(tests, struct {
			name, method, url string
			header            http.Header
			secret, region    string
			now               time.Time
			code              string
			is                error
		}{name: "missing " + p.name, url: without(p.name), code: CodeAuthorizationQueryParametersError})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, secret, region, now := "GET", testSecret, testRegion, testTime
			if tc.method != "" {
				method = tc.method
			}
			if tc.secret != "" {
				secret = tc.secret
			}
			if tc.region != "" {
				region = tc.region
			}
			if !tc.now.IsZero() {
				now = tc.now
			}
			_, err := parseVerify(requestFor(t, method, tc.url, tc.header), secret, region, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v (%s), want %v", err, refusalCode(err), tc.is)
			}
			if tc.code != "" && refusalCode(err) != tc.code {
				t.Errorf("got %v (%s), want code %s", err, refusalCode(err), tc.code)
			}
			if refusalCode(err) == "" {
				t.Errorf("%v is not a refusal", err)
			}
			if strings.HasPrefix(tc.name, "missing ") && !strings.Contains(err.Error(), strings.TrimPrefix(tc.name, "missing ")) {
				t.Errorf("message %q does not name the missing parameter", err)
			}
		})
	}
}

// A wrong signature explains what was signed, never what was expected.
func TestMismatchExplains(t *testing.T) {
	good := presignForTest(t, PresignInput{})
	req := requestFor(t, "HEAD", good, nil)
	a, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	err = Verify(req, a, testSecret, testRegion, testTime)
	var m *Mismatch
	if !errors.As(err, &m) || !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("got %v, want a *Mismatch", err)
	}
	if !strings.HasPrefix(m.CanonicalRequest, "HEAD\n/s3/films/dir/a%20b.mp4\n") ||
		m.StringToSign != StringToSign(a.Time, "20261206/us-east-1/s3/aws4_request", m.CanonicalRequest) {
		t.Errorf("got %q / %q", m.CanonicalRequest, m.StringToSign)
	}
	expected := hex.EncodeToString(hmacSum(SigningKey(testSecret, "20261206", testRegion, "s3"), m.StringToSign))
	for _, s := range []string{m.Error(), m.StringToSign, m.CanonicalRequest} {
		if strings.Contains(s, expected) || strings.Contains(s, testSecret) {
			t.Errorf("%q reveals the expected signature or the secret", s)
		}
	}
	if m.Status() != http.StatusForbidden || m.Code() != CodeSignatureDoesNotMatch {
		t.Errorf("status %d code %s", m.Status(), m.Code())
	}
}

func signedHeaderRequest(t *testing.T, method, rawURL string, h http.Header, payloadHash string, at time.Time) *Request {
	t.Helper()
	if h == nil {
		h = http.Header{}
	}
	if err := SignHeaders(h, method, rawURL, payloadHash, testKeyID, testSecret, testRegion, at); err != nil {
		t.Fatalf("SignHeaders: %v", err)
	}
	return requestFor(t, method, rawURL, h)
}

func TestHeaderRefusals(t *testing.T) {
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	fresh := func() *Request {
		return signedHeaderRequest(t, "GET", testURL, http.Header{"Range": {"bytes=0-9"}}, emptySHA, testTime)
	}
	if _, err := parseVerify(fresh(), testSecret, testRegion, testTime); err != nil {
		t.Fatalf("the untouched request: %v", err)
	}
	for _, skew := range []time.Duration{MaxSkew, -MaxSkew} {
		if _, err := parseVerify(fresh(), testSecret, testRegion, testTime.Add(skew)); err != nil {
			t.Errorf("skew %v: %v", skew, err)
		}
	}
	authz := func(r *Request) string { return r.Header.Get("Authorization") }
	tests := []struct {
		name   string
		change func(r *Request)
		now    time.Time
		region string
		code   string
		is     error
	}{
		{name: "clock skew ahead", now: testTime.Add(MaxSkew + time.Second), is: ErrRequestTimeTooSkewed},
		{name: "clock skew behind", now: testTime.Add(-MaxSkew - time.Second), is: ErrRequestTimeTooSkewed},
		{name: "another region", region: "eu-west-1", code: CodeAuthorizationHeaderMalformed},
		{name: "tampered signature", change: func(r *Request) {
			a := authz(r)
			r.Header.Set("Authorization", a[:len(a)-1]+string("10"[strings.IndexByte("01", a[len(a)-1])&1]))
			if authz(r) == a {
				r.Header.Set("Authorization", a[:len(a)-1]+"f")
			}
		}, is: ErrSignatureDoesNotMatch},
		{name: "method changed", change: func(r *Request) { r.Method = "PUT" }, is: ErrSignatureDoesNotMatch},
		{name: "path changed", change: func(r *Request) { r.EscapedPath += "x" }, is: ErrSignatureDoesNotMatch},
		{name: "query added", change: func(r *Request) { r.RawQuery += "&x=1" }, is: ErrSignatureDoesNotMatch},
		{name: "signed header changed", change: func(r *Request) { r.Header.Set("Range", "bytes=0-99") }, is: ErrSignatureDoesNotMatch},
		{name: "date changed", change: func(r *Request) { r.Header.Set("X-Amz-Date", "20261206T080001Z") }, is: ErrSignatureDoesNotMatch},
		{name: "unsigned x-amz header", change: func(r *Request) { r.Header.Set("X-Amz-Meta-A", "1") }, is: ErrHeadersNotSigned},
		{name: "no x-amz-content-sha256", change: func(r *Request) { r.Header.Del("X-Amz-Content-Sha256") }, is: ErrMissingContentSHA256},
		{name: "bad x-amz-content-sha256", change: func(r *Request) { r.Header.Set("X-Amz-Content-Sha256", "abc") }, is: ErrInvalidContentSHA256},
		{name: "x-amz-content-sha256 not signed", change: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(authz(r), ";x-amz-content-sha256", "", 1))
		}, is: ErrContentSHA256NotSigned},
		{name: "no date", change: func(r *Request) { r.Header.Del("X-Amz-Date") }, is: ErrMissingDate},
		{name: "date malformed", change: func(r *Request) { r.Header.Set("X-Amz-Date", "yesterday") }, is: ErrMissingDate},
		{name: "host not signed", change: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(authz(r), "SignedHeaders=host;", "SignedHeaders=", 1))
		}, code: CodeAuthorizationHeaderMalformed},
		{name: "upper-case signed header", change: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(authz(r), "host;", "Host;", 1))
		}, code: CodeAuthorizationHeaderMalformed},
		{name: "no Signature", change: func(r *Request) {
			a := authz(r)
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
		}, code: CodeAuthorizationHeaderMalformed},
		{name: "credential malformed", change: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(authz(r), "/aws4_request", "", 1))
		}, code: CodeAuthorizationHeaderMalformed},
		{name: "two Authorization headers", change: func(r *Request) { r.Header.Add("Authorization", authz(r)) }, code: CodeAuthorizationHeaderMalformed},
		{name: "signature version 2", change: func(r *Request) { r.Header.Set("Authorization", "AWS "+testKeyID+":abc") }, is: ErrUnsupportedMechanism},
		{name: "SigV4a", change: func(r *Request) {
			r.Header.Set("Authorization", strings.Replace(authz(r), Algorithm, "AWS4-ECDSA-P256-SHA256", 1))
		}, is: ErrUnsupportedMechanism},
		{name: "also presigned", change: func(r *Request) { r.RawQuery += "&X-Amz-Algorithm=AWS4-HMAC-SHA256" }, is: ErrTwoAuthMechanisms},
		{name: "security token", change: func(r *Request) { r.Header.Set("X-Amz-Security-Token", "t") }, is: ErrSecurityToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fresh()
			if tc.change != nil {
				tc.change(r)
			}
			now, region := testTime, testRegion
			if !tc.now.IsZero() {
				now = tc.now
			}
			if tc.region != "" {
				region = tc.region
			}
			_, err := parseVerify(r, testSecret, region, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v (%s), want %v", err, refusalCode(err), tc.is)
			}
			if tc.code != "" && refusalCode(err) != tc.code {
				t.Errorf("got %v (%s), want code %s", err, refusalCode(err), tc.code)
			}
		})
	}
}

// The Date header dates a request without x-amz-date, and must be signed.
func TestHeaderAuthWithDateHeader(t *testing.T) {
	r := signedHeaderRequest(t, "GET", testURL, http.Header{"Date": {testTime.Format(http.TimeFormat)}}, "", testTime)
	r.Header.Del("X-Amz-Date") // SignHeaders sets it; sign again without it
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Time.Equal(testTime) {
		t.Fatalf("time %v", a.Time)
	}
	names := []string{"date", "host", "x-amz-content-sha256"}
	cr := CanonicalRequest(r, names, UnsignedPayload, false)
	sig := hmacSum(SigningKey(testSecret, "20261206", testRegion, "s3"), StringToSign(testTime, "20261206/us-east-1/s3/aws4_request", cr))
	r.Header.Set("Authorization", Algorithm+" Credential="+testKeyID+"/20261206/us-east-1/s3/aws4_request,SignedHeaders="+
		strings.Join(names, ";")+",Signature="+hex.EncodeToString(sig))
	if _, err := parseVerify(r, testSecret, testRegion, testTime); err != nil {
		t.Fatalf("Date-dated request: %v", err)
	}
	names = []string{"host", "x-amz-content-sha256"}
	cr = CanonicalRequest(r, names, UnsignedPayload, false)
	sig = hmacSum(SigningKey(testSecret, "20261206", testRegion, "s3"), StringToSign(testTime, "20261206/us-east-1/s3/aws4_request", cr))
	r.Header.Set("Authorization", Algorithm+" Credential="+testKeyID+"/20261206/us-east-1/s3/aws4_request,SignedHeaders="+
		strings.Join(names, ";")+",Signature="+hex.EncodeToString(sig))
	if _, err := parseVerify(r, testSecret, testRegion, testTime); !errors.Is(err, ErrHeadersNotSigned) {
		t.Fatalf("unsigned Date: got %v, want ErrHeadersNotSigned", err)
	}
}

// A CDN in front of the gateway adds X-Amz-Cf-Id after the client signed.
func TestHeaderAuthAllowsCloudFrontID(t *testing.T) {
	r := signedHeaderRequest(t, "GET", testURL, nil, "", testTime)
	r.Header.Set("X-Amz-Cf-Id", "abc")
	if _, err := parseVerify(r, testSecret, testRegion, testTime); err != nil {
		t.Fatal(err)
	}
}
