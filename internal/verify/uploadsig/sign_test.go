package uploadsig

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify"
)

const testSecret = "abcd"

func sampleParams() Params {
	return Params{
		"public_id": "sample_image",
		"timestamp": "1315060510",
		"api_key":   "1234",
		"file":      "https://example.com/a.jpg",
	}
}

func TestVerify(t *testing.T) {
	base := StringToSign(sampleParams(), 2)
	sha1Sig := Sign(base, testSecret, SHA1)
	sha256Sig := Sign(base, testSecret, SHA256)

	amp := Params{"public_id": "amp", "timestamp": "1700000000", "notification_url": "https://e.com/cb?a=1&tags=x"}
	ampV1 := StringToSign(amp, 1)
	ampV2 := StringToSign(amp, 2)

	tests := []struct {
		name       string
		params     Params
		signature  string
		secret     string
		allowV1    bool
		wantSigned string
		wantStatus int // zero when Verify must succeed
	}{
		{"sha1", sampleParams(), sha1Sig, testSecret, false, base, 0},
		{"sha256", sampleParams(), sha256Sig, testSecret, false, base, 0},
		{"uppercase hex", sampleParams(), strings.ToUpper(sha1Sig), testSecret, false, base, 0},
		{"excluded params do not matter", withParam(sampleParams(), "api_key", "other"), sha1Sig, testSecret, false, base, 0},
		{"tampered value", withParam(sampleParams(), "public_id", "other"), sha1Sig, testSecret, false, "", http.StatusUnauthorized},
		{"added parameter", withParam(sampleParams(), "overwrite", "true"), sha1Sig, testSecret, false, "", http.StatusUnauthorized},
		{"tampered timestamp", withParam(sampleParams(), "timestamp", "1315060511"), sha1Sig, testSecret, false, "", http.StatusUnauthorized},
		{"wrong secret", sampleParams(), sha1Sig, "abce", false, "", http.StatusUnauthorized},
		{"truncated signature", sampleParams(), sha1Sig[:39], testSecret, false, "", http.StatusUnauthorized},
		{"too long signature", sampleParams(), sha1Sig + "0", testSecret, false, "", http.StatusUnauthorized},
		{"sha1 digest padded to sha256 length", sampleParams(), sha1Sig + strings.Repeat("0", 24), testSecret, false, "", http.StatusUnauthorized},
		{"non-hex signature", sampleParams(), strings.Repeat("z", 40), testSecret, false, "", http.StatusUnauthorized},
		{"missing signature", sampleParams(), "", testSecret, true, "", http.StatusBadRequest},
		{"v2 with & in value", amp, Sign(ampV2, testSecret, SHA1), testSecret, false, ampV2, 0},
		{"v1 with & in value refused by default", amp, Sign(ampV1, testSecret, SHA1), testSecret, false, "", http.StatusUnauthorized},
		{"v1 with & in value allowed", amp, Sign(ampV1, testSecret, SHA256), testSecret, true, ampV1, 0},
		{"v2 still first when v1 allowed", amp, Sign(ampV2, testSecret, SHA1), testSecret, true, ampV2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, err := Verify(tc.params, tc.signature, tc.secret, tc.allowV1)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if signed != tc.wantSigned {
					t.Errorf("signed string: got %q, want %q", signed, tc.wantSigned)
				}
				return
			}
			var e *verify.Refusal
			if !errors.As(err, &e) {
				t.Fatalf("got error %v, want *verify.Refusal", err)
			}
			if e.Status() != tc.wantStatus {
				t.Errorf("status: got %d, want %d", e.Status(), tc.wantStatus)
			}
			if signed != "" {
				t.Errorf("signed string: got %q, want empty on failure", signed)
			}
		})
	}
}

// Users debug their signing code with this message; it must match
// Cloudinary's byte for byte and show the version 2 string.
func TestVerifyErrorMessage(t *testing.T) {
	p := Params{"public_id": "amp", "timestamp": "1700000000", "context": "a=1&b=2", "api_key": "k"}
	_, err := Verify(p, "DEADBEEF", testSecret, true)
	var e *verify.Refusal
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want *verify.Refusal", err)
	}
	const wantString = "context=a=1%26b=2&public_id=amp&timestamp=1700000000"
	const wantMsg = "Invalid Signature DEADBEEF. String to sign - '" + wantString + "'."
	if e.Error() != wantMsg {
		t.Errorf("Error(): got %q, want %q", e.Error(), wantMsg)
	}
	if strings.Contains(e.Error(), testSecret) {
		t.Errorf("message %q leaks the secret", e.Error())
	}
}

func TestMissingSignatureMessage(t *testing.T) {
	_, err := Verify(sampleParams(), "", testSecret, false)
	const want = "Missing required parameter - signature"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestResponseSignature(t *testing.T) {
	tests := []struct {
		publicID string
		version  int64
		want     string
	}{
		{"sample", 1312461204, Sign("public_id=sample&version=1312461204", testSecret, SHA1)},
		// Response signatures are version 1: an & in the id is not escaped.
		{"a&b", 1, Sign("public_id=a&b&version=1", testSecret, SHA1)},
	}
	for _, tc := range tests {
		t.Run(tc.publicID, func(t *testing.T) {
			if got := ResponseSignature(tc.publicID, tc.version, testSecret); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func withParam(p Params, k, v string) Params {
	p[k] = v
	return p
}

func BenchmarkVerify(b *testing.B) {
	p := Params{
		"public_id": "dogs/rex", "tags": "animal,dog,pet", "timestamp": "1700000000",
		"context": "alt=A dog&caption=Rex", "eager": "c_pad,h_300,w_400|c_crop,g_north,h_200,w_260/png",
		"api_key": "1234", "file": "https://example.com/rex.jpg",
	}
	for _, bc := range []struct {
		name string
		algo Algorithm
	}{{"sha1", SHA1}, {"sha256", SHA256}} {
		sig := Sign(StringToSign(p, 2), testSecret, bc.algo)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(p, sig, testSecret, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
