package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"
)

var fuzzQueries = []string{
	"",
	"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261206T080000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("ab", 32),
	"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a/b/c/d/aws4_request&X-Amz-Date=1&X-Amz-Expires=-1&X-Amz-SignedHeaders=host%3Brange&X-Amz-Signature=x",
	"prefix=a+b&max-keys=2&list-type=2&delimiter=%2F&flag",
	"a=%zz&X-Amz-Security-Token=t",
	"AWSAccessKeyId=AKIA&Expires=1&Signature=abc",
	"X-Amz-Signature=1&X-Amz-Signature=2&%58-Amz-Date=3",
}

var fuzzAuthorizations = []string{
	"",
	"AWS4-HMAC-SHA256 Credential=AKIA/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + strings.Repeat("0f", 32),
	"AWS4-HMAC-SHA256 Credential=AKIA/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=zz",
	"AWS4-HMAC-SHA256 Credential=,,, =,",
	"AWS AKIA:sig",
	"AWS4-HMAC-SHA256",
}

func FuzzParse(f *testing.F) {
	for _, q := range fuzzQueries {
		for _, a := range fuzzAuthorizations {
			f.Add(q, a, "20130524T000000Z", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
		}
	}
	f.Add("", fuzzAuthorizations[1], "", StreamingSignedTrailer)
	f.Fuzz(func(t *testing.T, query, authz, amzDate, contentSHA string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if amzDate != "" {
			h.Set("X-Amz-Date", amzDate)
		}
		if contentSHA != "" {
			h.Set("X-Amz-Content-Sha256", contentSHA)
		}
		req := &Request{Method: "GET", Host: "h", EscapedPath: "/b/k", RawQuery: query, Header: h}
		a, err := Parse(req)
		if err != nil {
			var r *verify.Refusal
			if !errors.As(err, &r) || r.Status() < 400 || r.Code() == "" {
				t.Fatalf("got %T %v, want a refusal", err, err)
			}
			return
		}
		if len(a.Signature) != 32 || !a.Presigned && a.PayloadHash != contentSHA || a.Credential.AccessKeyID == "" ||
			len(a.Credential.Date) != 8 || a.Time.IsZero() {
			t.Fatalf("accepted %+v", a)
		}
		if a.Presigned && (a.Expires < time.Second || a.Expires > MaxExpires) {
			t.Fatalf("accepted expiry %v", a.Expires)
		}
		host := false
		for _, n := range a.SignedHeaders {
			host = host || n == "host"
			if n == "" || strings.ToLower(n) != n {
				t.Fatalf("signed header %q", n)
			}
		}
		if !host {
			t.Fatalf("accepted signed headers without host: %v", a.SignedHeaders)
		}
		// Verify must not panic whatever was parsed.
		_ = Verify(req, a, "secret", a.Credential.Region, a.Time)
	})
}

// Whatever path and query a presigned URL has, Presign then Verify accept
// it; the canonical request is a fixed point of its own URI encoding; and
// the allocation-free HMAC agrees with crypto/hmac.
func FuzzCanonicalRequest(f *testing.F) {
	for _, p := range []string{"/s3/films/a.mp4", "/s3/b/dir/b%20c/%C3%BCn%C3%AF.mp4", "/s3/b/a%2Bb%3Dc%26d%27%28e%29%21%2A~.txt",
		"/test$file.text", "//a//b/", "/%2F%2f/%41", "/ü 日本+", "/a%zz"} {
		for _, q := range []string{"", "prefix=J&max-keys=2", "a+b=c+d&e", "x-id=GetObject&x-amz-checksum-crc32=AAAAAA%3D%3D", "%20=%2B&=&&",
			"X-Amz-Content-Sha256=" + strings.Repeat("0", 64), "X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"} {
			f.Add("GET", p, q, "s3cr3t/+ü")
		}
	}
	f.Fuzz(func(t *testing.T, method, path, query, secret string) {
		u, err := url.Parse("http://gw.example:8080/" + strings.TrimPrefix(path, "/") + "?" + query)
		if err != nil || u.Host != "gw.example:8080" {
			return
		}
		if !validEscapes(u.RawQuery) {
			return // Presign refuses a query that does not decode, as Parse does
		}
		signed, ex, err := Presign(PresignInput{Method: method, URL: u.String(), AccessKeyID: "AKIDFUZZ", Secret: secret,
			Region: "us-east-1", Time: testTime, Expires: time.Minute})
		if err != nil {
			// Presign may refuse only a bad method, no secret, or a query
			// that already carries authentication.
			q, _ := scanQuery(u.RawQuery)
			if method != "" && strings.Trim(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" && secret != "" && q.has == 0 && !q.sigV2 {
				t.Fatalf("Presign(%s): %v", u, err)
			}
			return
		}
		req := requestFor(t, method, signed, nil)
		if _, err := parseVerify(req, secret, "us-east-1", testTime); err != nil {
			t.Fatalf("Verify(Presign(%s)) = %s: %v\n%s", u, signed, err, ex.CanonicalRequest)
		}
		uri := strings.SplitN(ex.CanonicalRequest, "\n", 3)[1]
		if again := string(appendCanonicalURI(nil, uri)); again != uri {
			t.Fatalf("canonical URI %q becomes %q", uri, again)
		}
		key := Keys.Key(secret, "20261206", "us-east-1")
		m := hmac.New(sha256.New, key[:])
		m.Write([]byte(ex.StringToSign))
		if hex.EncodeToString(m.Sum(nil)) != ex.Signature {
			t.Fatalf("signature %s is not crypto/hmac's", ex.Signature)
		}
	})
}

// Verify on arbitrary requests: never a panic, and never an acceptance of
// anything but the right signature.
func FuzzVerify(f *testing.F) {
	f.Add("GET", "/s3/films/a.mp4", "x=1", "gateway.example", "AWS4-HMAC-SHA256 Credential=AKIA/20261206/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=", "abc")
	f.Fuzz(func(t *testing.T, method, path, query, host, authz, secret string) {
		h := http.Header{"X-Amz-Date": {"20261206T080000Z"}, "X-Amz-Content-Sha256": {UnsignedPayload}}
		req := &Request{Method: method, Host: host, EscapedPath: path, RawQuery: query, Header: h}
		// Sign it properly once, then try the fuzzed Authorization.
		if strings.HasSuffix(authz, "Signature=") {
			a0, err := Parse(&Request{Header: http.Header{"Authorization": {authz + strings.Repeat("0", 64)},
				"X-Amz-Date": h["X-Amz-Date"], "X-Amz-Content-Sha256": h["X-Amz-Content-Sha256"]}})
			if err == nil {
				cr := CanonicalRequest(req, a0.SignedHeaders, a0.PayloadHash, false)
				scope := string(appendScope(nil, a0.Credential))
				sig := hmacSum(SigningKey(secret, a0.Credential.Date, a0.Credential.Region, a0.Credential.Service), StringToSign(a0.Time, scope, cr))
				authz += hex.EncodeToString(sig)
			}
		}
		h.Set("Authorization", authz)
		a, err := Parse(req)
		if err != nil {
			return
		}
		err = Verify(req, a, secret, "us-east-1", testTime)
		if err != nil {
			return
		}
		cr := CanonicalRequest(req, a.SignedHeaders, a.PayloadHash, false)
		want := hmacSum(SigningKey(secret, a.Credential.Date, "us-east-1", "s3"), StringToSign(a.Time, string(appendScope(nil, a.Credential)), cr))
		if !bytes.Equal(want, a.Signature) {
			t.Fatalf("accepted a signature that is not the request's")
		}
	})
}

func FuzzChunkedReader(f *testing.F) {
	f.Add(awsChunked.body()[:200], 0, int64(-1))
	f.Add(awsChunkedTrailer.body()[:100]+"\r\n", 1, int64(5))
	f.Add(writeUnsignedTrailer([]byte("hello world"), 3)+crc32Trailer([]byte("hello world"))+"\r\n", 2, int64(11))
	f.Add("0\r\n\r\n", 2, int64(0))
	f.Add("ffffffffffffffff\r\n", 2, int64(-1))
	f.Add("5;chunk-signature="+strings.Repeat("a", 64)+"\r\nabcde\r\n0\r\nx:y\r\n\r\n", 0, int64(-1))
	f.Fuzz(func(t *testing.T, body string, mode int, decoded int64) {
		e := []awsChunkedExample{awsChunked, awsChunkedTrailer, {mode: StreamingUnsignedTrailer}}[uint(mode)%3]
		var a *Auth
		if e.seed != "" {
			a = &Auth{Credential: Credential{AccessKeyID: "AKIA", Date: "20130524", Region: "us-east-1", Service: "s3"},
				Time: awsExampleTime, PayloadHash: e.mode, Signature: make([]byte, 32)}
			hex.Decode(a.Signature, []byte(e.seed))
		}
		if decoded < -1 {
			decoded = -1
		}
		cr := NewChunkedReader(strings.NewReader(body), a, awsExampleSecret, "us-east-1", e.mode, decoded)
		got, err := io.ReadAll(cr)
		if len(got) > len(body) {
			t.Fatalf("decoded %d bytes from a %d-byte body", len(got), len(body))
		}
		if err != nil {
			var r *verify.Refusal
			if !errors.As(err, &r) {
				t.Fatalf("got %T %v, want a refusal", err, err)
			}
			if cr.Trailer() != nil {
				t.Fatal("trailers after an error")
			}
			return
		}
		if decoded >= 0 && int64(len(got)) != decoded {
			t.Fatalf("decoded %d bytes, declared %d", len(got), decoded)
		}
		if e.mode == StreamingUnsignedTrailer {
			// What decodes, re-encoded with its trailers, decodes again alike.
			var tr strings.Builder
			for k, vs := range cr.Trailer() {
				for _, v := range vs {
					tr.WriteString(k + ":" + v + "\r\n")
				}
			}
			again, err := io.ReadAll(NewChunkedReader(strings.NewReader(writeUnsignedTrailer(got, 7)+tr.String()+"\r\n"), nil, "", "", e.mode, -1))
			if err != nil || !bytes.Equal(again, got) {
				t.Fatalf("re-encoded body: %v", err)
			}
		}
	})
}
