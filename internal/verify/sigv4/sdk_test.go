package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// keyRunes are the characters random object keys are made of: the ones
// SigV4 encodes differently from other encoders, spaces and UTF-8.
var keyRunes = []rune("aZ09-_.~ +=&'()!*$@:,;?#%[]{}|^`\"<>\\ü日本é\u00a0\t/")

func randomString(rng *rand.Rand, maxLen int, runes []rune) string {
	var b strings.Builder
	for range rng.IntN(maxLen) + 1 {
		b.WriteRune(runes[rng.IntN(len(runes))])
	}
	return b.String()
}

// sdkRequest is a random S3-like request the way the S3 client builds it:
// the key escaped with the SDK's own path encoder, random query parameters
// and headers.
func sdkRequest(t *testing.T, rng *rand.Rand) *http.Request {
	t.Helper()
	methods := []string{"GET", "PUT", "HEAD", "DELETE", "POST"}
	hosts := []string{"gateway.example:8080", "127.0.0.1:9000", "media.example.com", "[::1]:8443"}
	key := randomString(rng, 40, keyRunes)
	raw := "http://" + hosts[rng.IntN(len(hosts))] + "/s3/bucket-" + strconv.Itoa(rng.IntN(9)) + "/" + httpbinding.EscapePath(key, false)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	q := url.Values{}
	for range rng.IntN(4) {
		q.Add(randomString(rng, 8, keyRunes), randomString(rng, 12, keyRunes))
	}
	if rng.IntN(3) == 0 {
		q.Add("flag", "") // a parameter without a value
	}
	u.RawQuery = q.Encode()
	r, err := http.NewRequest(methods[rng.IntN(len(methods))], u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rng.IntN(2) == 0 {
		r.Header.Set("Content-Type", "video/mp4;  charset = x  ")
	}
	if rng.IntN(2) == 0 {
		r.Header.Add("X-Amz-Meta-Note", "  a   b  ")
		r.Header.Add("X-Amz-Meta-Note", "ü")
	}
	if rng.IntN(3) == 0 {
		r.Header.Set("Range", "bytes=0-"+strconv.Itoa(rng.IntN(1000)))
	}
	return r
}

// serverRequest is what a server would hand Verify for r sent with headers.
func serverRequest(r *http.Request, signedURL string, headers http.Header) *Request {
	u := r.URL
	if signedURL != "" {
		u, _ = url.Parse(signedURL)
	}
	host := r.Host
	if host == "" {
		host = u.Host
	}
	h := headers.Clone()
	h.Del("Host")
	return &Request{Method: r.Method, Host: host, EscapedPath: u.EscapedPath(), RawQuery: u.RawQuery, Header: h}
}

var sdkSecrets = []string{testSecret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "a secret with spaces+=&/ü", "x"}

// sdkCreds pairs each secret with its own key id: the SDK's signer caches
// derived keys by access key id, as a key id has one secret.
func sdkCreds(i int) aws.Credentials {
	return aws.Credentials{AccessKeyID: testKeyID[:len(testKeyID)-1] + strconv.Itoa(i%len(sdkSecrets)), SecretAccessKey: sdkSecrets[i%len(sdkSecrets)]}
}

// Whatever the AWS SDK for Go v2's signer presigns, Verify accepts; and a
// changed method or secret is refused.
func TestSDKPresignedRequestsVerify(t *testing.T) {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }) // as the S3 client does
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		r := sdkRequest(t, rng)
		creds := sdkCreds(i)
		secret := creds.SecretAccessKey
		expires := time.Duration(rng.IntN(604800)+1) * time.Second
		q := r.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
		r.URL.RawQuery = q.Encode()
		at := testTime.Add(time.Duration(rng.Int64N(1e6)) * time.Second)
		signed, headers, err := signer.PresignHTTP(context.Background(), creds, r, UnsignedPayload, "s3", testRegion, at)
		if err != nil {
			t.Fatal(err)
		}
		req := serverRequest(r, signed, headers)
		if _, err := parseVerify(req, secret, testRegion, at.Add(expires)); err != nil {
			t.Fatalf("%s %s with headers %v: %v", r.Method, signed, headers, err)
		}
		req.Method = map[string]string{"GET": "PUT"}[req.Method] + "X"
		if _, err := parseVerify(req, secret, testRegion, at); !isMismatch(err) {
			t.Fatalf("%s with another method: %v", signed, err)
		}
	}
}

// Whatever the SDK's signer signs with headers, Verify accepts.
func TestSDKHeaderSignedRequestsVerify(t *testing.T) {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		r := sdkRequest(t, rng)
		creds := sdkCreds(i)
		secret := creds.SecretAccessKey
		body := []byte(randomString(rng, 100, keyRunes))
		payloadHash := UnsignedPayload
		if rng.IntN(2) == 0 {
			sum := sha256.Sum256(body)
			payloadHash = hex.EncodeToString(sum[:])
		}
		r.ContentLength = int64(len(body))
		r.Header.Set("X-Amz-Content-Sha256", payloadHash)
		at := testTime.Add(time.Duration(rng.Int64N(1e6)) * time.Second)
		if err := signer.SignHTTP(context.Background(), creds, r, payloadHash, "s3", testRegion, at); err != nil {
			t.Fatal(err)
		}
		h := r.Header.Clone()
		h.Set("Content-Length", strconv.Itoa(len(body))) // as the server sees it
		h.Set("User-Agent", "aws-sdk-go-v2")             // unsigned, as the SDK leaves it
		req := serverRequest(r, "", h)
		a, err := parseVerify(req, secret, testRegion, at.Add(MaxSkew))
		if err != nil {
			t.Fatalf("%s %s with headers %v: %v", r.Method, r.URL, h, err)
		}
		if payloadHash != UnsignedPayload {
			if _, err := io.ReadAll(NewPayloadReader(bytes.NewReader(body), a.PayloadHash)); err != nil {
				t.Fatalf("payload: %v", err)
			}
		}
		req.Header.Set("Content-Length", strconv.Itoa(len(body)+1))
		if err := Verify(req, a, secret, testRegion, at); !isMismatch(err) {
			t.Fatalf("another Content-Length: %v", err)
		}
	}
}

// Presign and SignHeaders sign as the SDK does: the SDK's signer, given the
// same request, produces the same signature.
func TestSignersAgreeWithSDK(t *testing.T) {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		r := sdkRequest(t, rng)
		r.Header.Del("X-Amz-Meta-Note") // SignHeaders folds repeated headers as the SDK does, but keep this simple
		q := r.URL.Query()
		q.Set("X-Amz-Expires", "900")
		r.URL.RawQuery = q.Encode()
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		sdkURL, sdkHeaders, err := signer.PresignHTTP(context.Background(), creds, r, UnsignedPayload, "s3", testRegion, testTime)
		if err != nil {
			t.Fatal(err)
		}
		q.Del("X-Amz-Expires")
		u := *r.URL
		u.RawQuery = q.Encode()
		extra := sdkHeaders.Clone()
		extra.Del("Host")
		ours, _, err := Presign(PresignInput{Method: r.Method, URL: u.String(), AccessKeyID: testKeyID, Secret: testSecret,
			Region: testRegion, Time: testTime, Expires: 900 * time.Second, SignedHeaders: extra})
		if err != nil {
			t.Fatal(err)
		}
		if sig(ours) != sig(sdkURL) {
			t.Fatalf("Presign %s\nSDK     %s", ours, sdkURL)
		}
	}
}

func sig(presigned string) string {
	u, _ := url.Parse(presigned)
	return u.Query().Get("X-Amz-Signature")
}

func isMismatch(err error) bool {
	_, ok := err.(*Mismatch)
	return ok
}

// The random requests above really are varied: keys with characters that
// encoders disagree on reach the canonical request.
func TestSDKRequestsCoverEncodings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 300 {
		r := sdkRequest(t, rng)
		p := r.URL.EscapedPath() + "?" + r.URL.RawQuery
		for _, s := range []string{"%20", "%2B", "%3D", "%26", "%27", "%2A", "%C3%BC", "~", "+", "%24"} {
			if strings.Contains(p, s) {
				seen[s] = true
			}
		}
	}
	if len(seen) < 9 {
		t.Errorf("random requests cover only %v", seen)
	}
}
